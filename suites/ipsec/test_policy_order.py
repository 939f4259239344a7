"""RFC 4301 4.4.1: the SPD is ordered and the first matching entry decides. Linux orders its
policies by priority, lower first, then by insertion (LINUX-xfrm_policy_lookup_bytype-
priority): two entries for the same traffic, one BYPASS and one DISCARD, in each order."""

import errno

import pytest

from conformance.author.templates import UDP, Payload
from reference_stack.ipsec.config import BYPASS, DISCARD, OUT
from suites.ipsec import spd

pytestmark = [pytest.mark.families("ipv4", "ipv6"),
              pytest.mark.requirement("RFC4301-4.4.1-MUST-ordered-first-match")]

# (BYPASS's priority, DISCARD's priority, which is given first, does the datagram go out)
CASES = {
    "bypass-lower": (10, 20, BYPASS, True),
    "discard-lower": (20, 10, BYPASS, False),
    "equal-bypass-first": (5, 5, BYPASS, True),
    "equal-discard-first": (5, 5, DISCARD, False),
    "bypass-lower-given-last": (1, 2, DISCARD, True),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_first_entry_in_order_decides(ex, bed, dut, endpoints, family, case):
    bypass_priority, discard_priority, first, sent = case
    bypass = spd.policy(family, endpoints, OUT, BYPASS, spd.UDP, tester_port=7010,
                        priority=bypass_priority)
    # (the second entry's selector differs in its source port alone: Linux refuses two
    # entries with the same selector)
    discard = spd.policy(family, endpoints, OUT, DISCARD, spd.UDP, tester_port=7010,
                         dut_port=6040, priority=discard_priority)
    spd.install(bed, *((bypass, discard) if first == BYPASS else (discard, bypass)))
    fd = dut.socket(family.socket_family, 2)  # SOCK_DGRAM
    dut.bind(fd, (family.wildcard, 6040))
    _, err = dut.sendto_with_errno(fd, b"which entry?", (family.tester_host(endpoints), 7010))
    if sent:
        ex.expect(UDP(src_port=6040, dst_port=7010), Payload(b"which entry?"))
    else:
        assert err in (0, errno.EPERM)
        ex.expect_nothing(UDP(dst_port=7010))

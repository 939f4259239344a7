"""RFC 4301 4.4.1.1: an SPD entry selects by addresses, Next Layer Protocol and ports, each of
which may be ANY: a DISCARD entry for one protocol, one local port or one remote port leaves
the traffic it does not name alone."""

import pytest

from conformance.author.templates import UDP, Payload
from reference_stack.ipsec.config import DISCARD, OUT
from suites.ipsec import spd

pytestmark = [pytest.mark.families("ipv4", "ipv6"),
              pytest.mark.requirement("RFC4301-4.4.1.1-MUST-selectors",
                                      "RFC4301-5.1-MUST-discard-policy")]

# The DISCARD entry's (protocol, DUT port, tester port), and whether a datagram from DUT port
# 6050 to tester port 7020 is discarded by it.
CASES = {
    "any-udp": (spd.UDP, 0, 0, True),
    "tcp-only": (spd.TCP, 0, 0, False),
    "remote-port": (spd.UDP, 0, 7020, True),
    "other-remote-port": (spd.UDP, 0, 7021, False),
    "local-port": (spd.UDP, 6050, 0, True),
    "other-local-port": (spd.UDP, 6051, 0, False),
    "both-ports": (spd.UDP, 6050, 7020, True),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_selector_decides_what_the_entry_covers(ex, bed, dut, endpoints, family, case):
    proto, dut_port, tester_port, discarded = case
    spd.install(bed, spd.policy(family, endpoints, OUT, DISCARD, proto, dut_port=dut_port,
                                tester_port=tester_port))
    fd = dut.socket(family.socket_family, 2)  # SOCK_DGRAM
    dut.bind(fd, (family.wildcard, 6050))
    dut.sendto_with_errno(fd, b"selected?", (family.tester_host(endpoints), 7020))
    if discarded:
        ex.expect_nothing(UDP(dst_port=7020))
    else:
        ex.expect(UDP(src_port=6050, dst_port=7020), Payload(b"selected?"))

"""RFC 4301 5.1 and 5.2: traffic whose SPD entry is BYPASS is sent and received in the clear,
as if there were no IPsec; an SPD without a matching entry (Linux: no policy) likewise on
Linux, where RFC 4301 4.4.1 would discard it (the linux profile's ipsec_no_policy_bypass)."""

import pytest

from conformance.author.templates import UDP, Payload
from reference_stack.ipsec.config import BYPASS, DISCARD, IN, OUT
from suites.ipsec import spd
from suites.ipv4.udp_probe import bound_socket

pytestmark = pytest.mark.families()


def _echo(ex, dut, endpoints, family, port: int) -> None:
    fd = bound_socket(dut, family=family, port=port)
    ex.send(family.ip(), UDP(src_port=40001, dst_port=port), Payload(b"question"))
    data, peer = dut.recvfrom(fd, 2048)
    assert data == b"question"
    dut.sendto(fd, b"answer", peer)
    ex.expect(family.ip(src=family.dut_ip(endpoints), dst=family.tester_ip(endpoints)),
              UDP(src_port=port, dst_port=40001), Payload(b"answer"))


@pytest.mark.requirement("RFC4301-5.1-MUST-bypass-policy", "RFC4301-5.2-MUST-bypass-policy")
def test_bypass_both_ways_is_cleartext(ex, bed, dut, endpoints, family):
    spd.install(bed, spd.policy(family, endpoints, OUT, BYPASS, spd.UDP),
                spd.policy(family, endpoints, IN, BYPASS, spd.UDP))
    _echo(ex, dut, endpoints, family, 6010)


@pytest.mark.requirement("RFC4301-4.4.1-MUST-no-match-discard")
def test_traffic_no_entry_matches(ex, bed, dut, endpoints, family):
    """Entries for another port only: this exchange matches none of them."""
    spd.install(bed, spd.policy(family, endpoints, OUT, DISCARD, spd.UDP, dut_port=6099),
                spd.policy(family, endpoints, IN, DISCARD, spd.UDP, dut_port=6099))
    _echo(ex, dut, endpoints, family, 6011)

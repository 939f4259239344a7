"""RFC 4301 5.1: a packet whose SPD-O entry is DISCARD is discarded. Linux looks the policy up
with the route: the socket's send fails (EPERM), and a reply of the kernel's own (a TCP RST)
is not sent (the linux profile's ipsec_block_eperm)."""

import errno

import pytest

from conformance.author.templates import TCP, UDP
from reference_stack.ipsec.config import DISCARD, OUT
from suites.ipsec import spd

pytestmark = pytest.mark.families()


@pytest.mark.requirement("RFC4301-5.1-MUST-discard-policy")
def test_send_matching_a_discard_policy_is_discarded(ex, bed, dut, endpoints, family):
    spd.install(bed, spd.policy(family, endpoints, OUT, DISCARD, spd.UDP, tester_port=7000))
    fd = dut.socket(family.socket_family, 2)  # SOCK_DGRAM
    dut.bind(fd, (family.wildcard, 6000))
    _, err = dut.sendto_with_errno(fd, b"must not leave", (family.tester_host(endpoints), 7000))
    assert err in (0, errno.EPERM)
    ex.expect_nothing(UDP(dst_port=7000))


@pytest.mark.requirement("RFC4301-5.1-MUST-discard-policy")
@pytest.mark.families("ipv4", "ipv6")
def test_kernel_reply_matching_a_discard_policy_is_discarded(ex, bed, endpoints, family):
    """A SYN to a closed port: the RST it earns matches the DISCARD entry."""
    spd.install(bed, spd.policy(family, endpoints, OUT, DISCARD, spd.TCP))
    conn = ex.tcp(dut_port=9)
    conn.send(flags="S")
    ex.expect_nothing(TCP(flags="RA"))

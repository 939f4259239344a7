"""RFC 4301 5.1: a packet a PROTECT entry covers, for which no SA exists, is not sent in the
clear: the key manager is asked for an SA and the packet discarded or queued. Linux (the
default net.core.xfrm_larval_drop = 1) sends an acquire and drops it, the send succeeding
(the linux profile's xfrm_larval_drop); XfrmOutNoStates counts it."""

import pytest

from conformance.author.templates import TCP, UDP
from reference_stack.ipsec.config import OUT, PROTECT
from suites.ipsec import spd

pytestmark = pytest.mark.requirement("RFC4301-5.1-MUST-protect-without-sa")


@pytest.mark.families()
def test_datagram_without_sa_is_not_sent_in_the_clear(ex, bed, dut, endpoints, family):
    spd.install(bed, spd.policy(family, endpoints, OUT, PROTECT, spd.UDP, tester_port=7001))
    fd = dut.socket(family.socket_family, 2)  # SOCK_DGRAM
    dut.bind(fd, (family.wildcard, 6020))
    dut.sendto_with_errno(fd, b"needs an SA", (family.tester_host(endpoints), 7001))
    ex.expect_nothing(UDP(dst_port=7001))


@pytest.mark.families("ipv4", "ipv6")
def test_syn_ack_without_sa_is_not_sent(ex, bed, dut, endpoints, family):
    """A listener's SYN-ACK falls under the PROTECT entry: it is not sent in the clear."""
    fd = dut.socket(family.socket_family, 1)  # SOCK_STREAM
    dut.bind(fd, (family.wildcard, 6021))
    dut.listen(fd, 4)
    spd.install(bed, spd.policy(family, endpoints, OUT, PROTECT, spd.TCP, dut_port=6021))
    ex.tcp(dut_port=6021).send(flags="S")
    ex.expect_nothing(TCP(flags="SA"))


@pytest.mark.families("ipv4", "ipv6")
def test_connect_without_sa_sends_no_syn(ex, bed, dut, endpoints, family):
    spd.install(bed, spd.policy(family, endpoints, OUT, PROTECT, spd.TCP, tester_port=7002))
    fd = dut.socket(family.socket_family, 1)  # SOCK_STREAM
    # (non-blocking: Linux's connect returns EINPROGRESS, its SYN gone into a blackhole)
    dut.connect_with_errno(fd, (family.tester_host(endpoints), 7002))
    ex.expect_nothing(TCP(flags="S"))

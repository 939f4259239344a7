"""RFC 4301 5.2: an unprotected packet that an SPD-I entry says must be protected is discarded
(Linux: a template of level `required`, XfrmInTmplMismatch); Linux's level `use` makes the
SA optional, and the cleartext packet is accepted (LINUX-xfrm_policy_ok-level-use)."""

import pytest

from conformance.author.templates import TCP, UDP, ICMPv4, ICMPv6, Payload
from reference_stack.ipsec.config import IN, PROTECT, USE
from suites.ipsec import spd
from suites.ipv4.udp_probe import bound_socket, received

pytestmark = [pytest.mark.families("ipv4", "ipv6"),
              pytest.mark.requirement("RFC4301-5.2-MUST-cleartext-against-protect")]


def test_cleartext_datagram_is_not_delivered(ex, bed, dut, endpoints, family):
    fd = bound_socket(dut, family=family, port=6030)
    spd.install(bed, spd.policy(family, endpoints, IN, PROTECT, spd.UDP, dut_port=6030))
    ex.send(family.ip(), UDP(src_port=40000, dst_port=6030), Payload(b"in the clear"))
    ex.expect_nothing()
    assert received(dut, fd) is None


def test_cleartext_datagram_to_closed_port_gets_no_error(ex, bed, endpoints, family):
    # (the selector names the port: the barrier's probe to a DUT ignoring echo requests, a
    # UDP datagram to another closed port, conformance/author/barriers.py, is not caught too)
    spd.install(bed, spd.policy(family, endpoints, IN, PROTECT, spd.UDP, dut_port=9))
    ex.send(family.ip(), UDP(src_port=40000, dst_port=9), Payload(b"closed"))
    ex.expect_nothing(ICMPv6() if family.wire == "ipv6" else ICMPv4())


def test_cleartext_syn_to_listener_gets_no_syn_ack(ex, bed, dut, endpoints, family):
    fd = dut.socket(family.socket_family, 1)  # SOCK_STREAM
    dut.bind(fd, (family.wildcard, 6031))
    dut.listen(fd, 4)
    spd.install(bed, spd.policy(family, endpoints, IN, PROTECT, spd.TCP, dut_port=6031))
    ex.tcp(dut_port=6031).send(flags="S")
    ex.expect_nothing(TCP(flags="SA"))


def test_cleartext_syn_to_closed_port_gets_no_reset(ex, bed, endpoints, family):
    spd.install(bed, spd.policy(family, endpoints, IN, PROTECT, spd.TCP))
    ex.tcp(dut_port=9).send(flags="S")
    ex.expect_nothing(TCP(flags="RA"))


def test_level_use_accepts_cleartext(ex, bed, dut, endpoints, family):
    fd = bound_socket(dut, family=family, port=6032)
    spd.install(bed, spd.policy(family, endpoints, IN, PROTECT, spd.UDP, dut_port=6032,
                                level=USE))
    ex.send(family.ip(), UDP(src_port=40000, dst_port=6032), Payload(b"optional"))
    ex.expect_nothing()
    assert received(dut, fd) == b"optional"

"""RFC 4301 5.2: an unprotected packet whose SPD-I entry is DISCARD is discarded: not
delivered to the socket bound to it, and not answered where it would have been (no ICMP Port
Unreachable for a closed UDP port, no RST for a closed TCP port)."""

import pytest

from conformance.author.templates import TCP, UDP, ICMPv4, ICMPv6, Payload
from reference_stack.ipsec.config import DISCARD, IN
from suites.ipsec import spd
from suites.ipv4.udp_probe import bound_socket, received

pytestmark = [pytest.mark.families("ipv4", "ipv6"),
              pytest.mark.requirement("RFC4301-5.2-MUST-discard-policy")]


def test_datagram_matching_a_discard_policy_is_not_delivered(ex, bed, dut, endpoints, family):
    fd = bound_socket(dut, family=family, port=6001)
    spd.install(bed, spd.policy(family, endpoints, IN, DISCARD, spd.UDP, dut_port=6001))
    ex.send(family.ip(), UDP(src_port=40000, dst_port=6001), Payload(b"blocked"))
    ex.expect_nothing()
    assert received(dut, fd) is None


def test_datagram_to_closed_port_matching_discard_gets_no_error(ex, bed, endpoints, family):
    # (the selector names the port: the barrier's probe to a DUT ignoring echo requests, a
    # UDP datagram to another closed port, conformance/author/barriers.py, is not caught too)
    spd.install(bed, spd.policy(family, endpoints, IN, DISCARD, spd.UDP, dut_port=9))
    ex.send(family.ip(), UDP(src_port=40000, dst_port=9), Payload(b"closed"))
    ex.expect_nothing(ICMPv6() if family.wire == "ipv6" else ICMPv4())


def test_syn_to_closed_port_matching_discard_gets_no_reset(ex, bed, endpoints, family):
    spd.install(bed, spd.policy(family, endpoints, IN, DISCARD, spd.TCP))
    ex.tcp(dut_port=9).send(flags="S")
    ex.expect_nothing(TCP(flags="RA"))


def test_other_ports_are_not_affected(ex, bed, dut, endpoints, family):
    """The entry's selector names one port: a datagram to another one is delivered."""
    fd = bound_socket(dut, family=family, port=6002)
    spd.install(bed, spd.policy(family, endpoints, IN, DISCARD, spd.UDP, dut_port=6001))
    ex.send(family.ip(), UDP(src_port=40000, dst_port=6002), Payload(b"welcome"))
    ex.expect_nothing()
    assert received(dut, fd) == b"welcome"

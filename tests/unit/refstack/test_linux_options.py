"""Linux's IPv4 option handling (iface/linux_options.py: ip_options_compile, cipso_v4_validate,
__ip_options_echo) against the RFC profile, as measured on Linux 6.18 with 3,000 random option
areas each (their oracle predictions match the kernel's answers)."""

from __future__ import annotations

from reference_stack.iface.addressing import Addressing
from reference_stack.iface.linux_options import compile_options
from reference_stack.profiles import LINUX, RFC
from reference_stack.wire.addr import ip4
from reference_stack.wire.frame import dissect
from reference_stack.wire.ipv4 import Ipv4OptUnknown
from tests.unit.refstack.harness import IP_A, IP_B, make_stack
from tests.unit.refstack.test_iface_linux_icmp import echo_request, udp_to_closed_port

CIPSO, LSRR, RR, TS = 134, 131, 7, 68
BAD_RR = Ipv4OptUnknown(RR, bytes([2, 0, 0, 0, 0]))  # pointer below 4: a fault at 20 + n + 2
ADDR = Addressing(IP_A, 24)
STAMP = bytes(4)


def test_cipso_is_refused_with_a_parameter_problem_that_echoes_it():
    """No CIPSO DOI is configured: cipso_v4_validate faults at the DOI (offset 2), or at the
    length (offset 1) of an option shorter than 8; ip_options_compile noted it first, so
    ip_options_echo copies it into the error. RFC 1122 3.2.1.8: an unknown option is ignored."""
    for length, pointer in ((10, 22), (6, 21)):
        cipso = Ipv4OptUnknown(CIPSO, bytes(length - 2))
        (error,) = make_stack(LINUX).receive(echo_request((cipso,)), 1.0).frames
        d = dissect(error)
        assert d.icmpv4.type == 12 and d.icmpv4.rest >> 24 == pointer
        assert d.ipv4.options[0].emit()[:2] == bytes([CIPSO, length])
        (reply,) = make_stack(RFC).receive(echo_request((cipso,)), 1.0).frames
        assert dissect(reply).icmpv4.type == 0


def lsrr(pointer: int, *hops: bytes) -> Ipv4OptUnknown:
    return Ipv4OptUnknown(LSRR, bytes([pointer]) + b"".join(hops))


def test_a_parameter_problem_follows_the_reversed_source_route():
    """A source route with a hop recorded before a faulty option: __ip_options_echo reverses
    it and icmp_route_lookup sends the error to its first hop (RFC 1122 3.2.1.8, RFC 1812
    5.2.4.1), with the source as the route's last hop; the RFC profile answers the source."""
    group, far, near = ip4("224.0.0.9"), ip4("198.19.5.5"), ip4("198.18.0.77")
    (error,) = make_stack(LINUX).receive(udp_to_closed_port((lsrr(8, group), BAD_RR)),
                                         1.0).frames
    d = dissect(error)
    assert (d.ipv4.dst, d.ipv4.ttl, d.eth.dst.hex()) == (group, 1, "01005e000009")
    assert d.icmpv4.type == 12 and d.ipv4.options[0].emit()[:7] == bytes([LSRR, 7, 4]) + IP_B
    # No route off the subnet, or a hop that is this host (looped back): nothing on the link;
    # on the subnet: the hop is resolved first.
    for hop in (far, IP_A):
        r = make_stack(LINUX).receive(udp_to_closed_port((lsrr(8, hop), BAD_RR)), 1.0)
        assert r.frames == ()
    (arp,) = make_stack(LINUX).receive(udp_to_closed_port((lsrr(8, near), BAD_RR)), 1.0).frames
    assert dissect(arp).arp.tpa == near
    # Nothing recorded yet (pointer 4), or the source itself recorded: to the source.
    for route in (lsrr(4, far), lsrr(8, IP_B)):
        (error,) = make_stack(LINUX).receive(udp_to_closed_port((route, BAD_RR)), 1.0).frames
        assert dissect(error).ipv4.dst == IP_B
    (error,) = make_stack(RFC).receive(udp_to_closed_port((lsrr(8, far), BAD_RR)), 1.0).frames
    assert dissect(error).ipv4.dst == IP_B and dissect(error).icmpv4.type == 12


def test_a_prespecified_timestamp_is_taken_only_for_a_local_or_group_address():
    """ip_options_compile: flag 3 stamps the entry unless its address is another host's
    unicast address (inet_addr_type == RTN_UNICAST), which only moves nothing."""
    for address, stamped in ((IP_A, True), (ip4("224.0.0.1"), True), (IP_B, False)):
        area = bytes([TS, 12, 5, 3]) + address + bytes(4)
        c = compile_options(area, ADDR, b"\x01\x02\x03\x04")
        assert c.fault is None and (c.area[2] == 13) is stamped
        assert (c.area[8:12] == b"\x01\x02\x03\x04") is stamped


def test_octets_after_end_of_list_are_cleared_on_receipt():
    c = compile_options(bytes([0, 7, 3, 0]), ADDR, STAMP)
    assert c.fault is None and c.changed and bytes(c.area) == bytes(4)

"""The `pytcp` profile's modelled choices of pytcp 2.7 against the `rfc` profile: the echo
reply's TOS (icmp4/phrx.py) and a segment with an illegal option length dropped
(tcp/fpp.py TcpParser._packet_integrity_check)."""

from __future__ import annotations

import pytest

from reference_stack.profiles import PYTCP, RFC
from reference_stack.tcp.option_framing import framing_fails
from reference_stack.tcp.state import State
from reference_stack.wire.frame import dissect
from reference_stack.wire.icmpv4 import Icmpv4Repr
from reference_stack.wire.ipv4 import IPPROTO_ICMP
from reference_stack.wire.tcp import ACK, SYN, TcpOptMalformed, TcpOptMss, TcpOptNop
from tests.unit.refstack.conn import bring_to
from tests.unit.refstack.harness import RawPeer, make_stack, tcp_of


@pytest.mark.parametrize("tos", [0x02, 0xB8])
def test_echo_reply_tos(tos) -> None:
    """RFC 1349 5.1: an echo reply SHOULD carry the request's TOS (rfc); pytcp's reply has 0."""
    for profile, expected in ((RFC, tos), (PYTCP, 0)):
        s = make_stack(profile)
        request = Icmpv4Repr.echo_request(7, 1, b"ping")
        (reply,) = s.receive(RawPeer(s).ip_frame(IPPROTO_ICMP, request.emit(), tos=tos),
                             0.0).frames
        assert dissect(reply).ipv4.tos == expected, profile.name


@pytest.mark.parametrize("raw, answered_by_pytcp", [
    (b"\x08\x00\x00\x00", False),  # length zero
    (b"\x08\x0c\x00\x00", False),  # length past the header
    (b"\x08\x01\x01\x00", True),  # length one: pytcp steps over it
], ids=["zero", "past-header", "one"])
def test_syn_with_an_illegal_option_length(raw, answered_by_pytcp) -> None:
    """RFC 1122 4.2.2.5: survive an illegal option length; the rfc profile ignores the rest
    of the option area and answers the SYN, pytcp's parser drops the segment."""
    for profile, answered in ((RFC, True), (PYTCP, answered_by_pytcp)):
        c = bring_to(State.LISTEN, profile)
        options = (TcpOptMss(1460), TcpOptMalformed(raw))
        segs = tcp_of(c.seg(SYN, options=options))
        assert bool(segs and segs[0].flags == SYN | ACK) is answered, profile.name


def test_pytcp_walk() -> None:
    assert not framing_fails(b"\x01\x01\x02\x04\x05\xb4")
    assert not framing_fails(b"\x00\x00\x00\x00")  # End of List stops the walk
    assert framing_fails(b"\x01\x01\x01\x08")  # a kind in the last octet
    assert framing_fails(b"\x02\x00\x00\x00")


def test_a_well_formed_option_area_is_never_dropped() -> None:
    c = bring_to(State.LISTEN, PYTCP)
    segs = tcp_of(c.seg(SYN, options=(TcpOptMss(1460), TcpOptNop())))
    assert segs[0].flags == SYN | ACK

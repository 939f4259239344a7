"""The `gvisor` profile's modelled choices of netstack (runsc 0.0~20221219) against the `rfc`
profile: the SYN-ACK's window (initialReceiveWindow), the ephemeral port range (ports.go), soft
ICMP errors in SYN-SENT (HandleError), the 200 ms RTO floor (snd.go MinRTO)."""

from __future__ import annotations

import pytest

from reference_stack.profiles import GVISOR, RFC
from reference_stack.socket_api import AF_INET, SOCK_STREAM
from reference_stack.tcp.state import State
from reference_stack.wire.frame import dissect
from reference_stack.wire.tcp import ACK, SYN
from tests.unit.refstack.conn import bring_to
from tests.unit.refstack.harness import make_stack, syn_options, tcp_of


def test_synack_window_is_two_initial_windows_of_segments() -> None:
    for profile, window in ((GVISOR, 29184), (RFC, 65535)):
        c = bring_to(State.LISTEN, profile)
        seg = tcp_of(c.seg(SYN, options=syn_options()))[0]
        assert seg.flags == SYN | ACK
        assert seg.window == window, profile.name
        assert seg.window_scale == 7 and seg.sack_permitted and seg.timestamps[1] == 100


def test_active_open_picks_a_port_from_16000() -> None:
    ports = {}
    for profile in (GVISOR, RFC):
        s = make_stack(profile)
        fd = s.socket(AF_INET, SOCK_STREAM).value
        frame = s.connect(fd, ("198.18.0.11", 80), 0.0).reaction.frames[0]
        ports[profile.name] = dissect(frame).tcp.src_port
    assert 16000 <= ports["gvisor"] <= 65535
    assert 49152 <= ports["rfc"] <= 65535


def test_retransmission_floor_is_200_ms() -> None:
    assert GVISOR.rto_min == 0.2 and RFC.rto_min == 1.0
    assert GVISOR.syn_sent_aborts_on_soft_error and not RFC.syn_sent_aborts_on_soft_error


@pytest.mark.parametrize("ts, gvisor_mss, rfc_mss", [(None, 500, 536), ((100, 0), 496, 524)],
                         ids=["without-ts", "with-ts"])
def test_send_mss_reserves_the_largest_option_area(ts, gvisor_mss, rfc_mss) -> None:
    """netstack (snd.go newSender) deducts timestamps plus a SACK option of as many blocks as
    fit (36 octets without timestamps, 28 more with them); the rfc profile only what it
    sends, so its first segment of a long write is 536 octets, or 524 with timestamps."""
    for profile, expected in ((GVISOR, gvisor_mss), (RFC, rfc_mss)):
        c = bring_to(State.SYN_SENT, profile)
        c.note(c.advance(SYN | ACK, options=syn_options(mss=536, wscale=None, ts=ts)))
        assert c.tcb().mss == expected, profile.name
        sent = tcp_of(c.stack.send(c.fd, bytes(4000), 0.01).reaction)
        assert sent and len(sent[0].payload) == expected, profile.name

"""Choices of Linux 6.1 (the ``vm`` target's default kernel) the `linux` profile (6.18) makes
otherwise, each against the `linux` and the `rfc` profiles: TS.Recent from an old ACK (6.1's
tcp_ack at old_ack), the TCP MD5 parse that gives up at broken framing (6.1's
tcp_parse_md5sig_option), text beyond the window's edge kept (tcp_sequence) and a request
socket that does not check TSecr (tcp_check_req without tsecr_reject)."""

from __future__ import annotations

import dataclasses

import pytest

from conformance.targets.vm_profile import SERIES_CHOICES
from reference_stack.profiles import LINUX, RFC
from reference_stack.tcp.state import State
from reference_stack.wire.tcp import ACK, PSH, TcpOptMalformed, TcpOptNop, TcpOptTimestamps
from tests.unit.refstack.conn import bring_to
from tests.unit.refstack.test_linux_segment_validation import MD5

LINUX_6_1 = dataclasses.replace(LINUX, **SERIES_CHOICES[(6, 1)])
PROFILES = [RFC, LINUX, LINUX_6_1]
IDS = ["rfc", "linux", "linux-6.1"]


@pytest.mark.parametrize("profile", PROFILES, ids=IDS)
def test_ts_recent_from_an_old_ack(profile) -> None:
    c = bring_to(State.ESTABLISHED, profile)
    tcb = c.tcb()
    tcb.ts_ok, tcb.ts_recent = True, 100
    ts = (TcpOptNop(), TcpOptNop(), TcpOptTimestamps(200, 0))
    c.seg(ACK | PSH, ack=(tcb.snd_una - 1) & 0xFFFFFFFF, payload=b"data", options=ts,
          window=tcb.snd_wnd // 2 >> tcb.snd_wscale)
    # RFC 7323 4.3 and 6.1's old_ack take TSval; 6.18's tcp_ack returns before.
    assert tcb.ts_recent == (100 if profile is LINUX else 200)


@pytest.mark.parametrize("profile", PROFILES, ids=IDS)
def test_broken_framing_in_the_auth_area(profile) -> None:
    c = bring_to(State.ESTABLISHED, profile)
    area = (TcpOptMalformed(b"\x05\x01" + b"\x01" * 18),)
    r = c.seg(ACK | PSH, payload=b"x", options=area)
    dropped = profile is LINUX  # 6.18: TCP_AUTH_HDR; 6.1 finds no signature; RFC ignores it
    assert ("LINUX-tcp_inbound_hash-auth-hdr" in r.rules()) is dropped
    assert c.tcb().recv.ready == (b"" if dropped else b"x")


@pytest.mark.parametrize("profile", [LINUX, LINUX_6_1], ids=IDS[1:])
def test_an_unexpected_signature_drops_on_both(profile) -> None:
    c = bring_to(State.ESTABLISHED, profile)
    r = c.seg(ACK | PSH, payload=b"x", options=(TcpOptNop(), TcpOptNop(), MD5))
    assert "LINUX-tcp_inbound_hash-md5-unexpected" in r.rules()
    assert c.tcb().recv.ready == b""


@pytest.mark.parametrize("profile", PROFILES, ids=IDS)
def test_text_beyond_the_edge_while_text_is_unread(profile) -> None:
    from tests.unit.refstack.test_linux_ack_processing import INVALID_END, _scaled

    c, edge = _scaled(profile)
    tcb = c.tcb()
    r = c.seg(ACK | PSH, seq=edge - 2, payload=b"z" * 3)  # one octet beyond the edge
    (reply,) = c.note(r)
    # 6.18's tcp_sequence refuses it (TCP_INVALID_END_SEQUENCE); 6.1's queues it whole out of
    # order; RFC 9293 3.10.7.4 queues the part in the window.
    assert (INVALID_END in r.rules()) is (profile is LINUX)
    assert bool(tcb.recv.ooo) is (profile is not LINUX)
    kept = "LINUX-tcp_sequence-text-beyond-edge-kept" in r.rules()
    assert kept is (profile is LINUX_6_1)  # RFC: trimmed to the window


@pytest.mark.parametrize("profile", PROFILES, ids=IDS)
def test_ack_to_a_request_socket_with_a_tsecr_no_syn_ack_carried(profile) -> None:
    from reference_stack.tcp.request_sock import RULE_TSECR
    from tests.unit.refstack.test_request_sock_tsecr import _half_open, _ts

    c, synack = _half_open(profile)
    r = c.seg(ACK, options=_ts(synack.timestamps[0] + 100000))
    # 6.18's tcp_check_req answers it as out of the window (tsecr_reject); 6.1's has no TSecr
    # check and RFC 9293 3.10.7.4 none either: the ACK completes the handshake.
    rejected = profile is LINUX
    assert (RULE_TSECR in r.rules()) is rejected
    assert [s.flags for s in c.note(r)] == ([ACK] if rejected else [])
    assert (c.state() is State.ESTABLISHED) is not rejected

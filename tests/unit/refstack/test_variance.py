"""Predictions with allowed variance: what a target may differ in, and what it may not."""

from __future__ import annotations

import dataclasses
import json

from reference_stack.profiles import LINUX, RFC
from reference_stack.tcp.state import State
from reference_stack.variance import (
    AnyValue,
    Exact,
    OneOf,
    PrefixOf,
    Range,
    Relation,
    Unordered,
)
from reference_stack.wire.ethernet import ETH_P_IP, EthernetRepr
from reference_stack.wire.frame import dissect
from reference_stack.wire.tcp import ACK, SYN, TcpOptMss
from tests.unit.refstack.conn import STACK_PORT, TESTER_PORT, bring_to
from tests.unit.refstack.harness import syn_options


def rebuild(frame: bytes, ip_changes: dict | None = None, tcp_changes: dict | None = None
            ) -> bytes:
    """The same frame with some fields changed and checksums recomputed."""
    d = dissect(frame)
    tcp = dataclasses.replace(d.tcp, checksum=None, data_offset=None, **(tcp_changes or {}))
    ip = dataclasses.replace(d.ipv4, checksum=None, total_length=None, ihl=None,
                             payload=tcp.emit(d.ipv4.src, d.ipv4.dst), **(ip_changes or {}))
    return EthernetRepr(d.eth.dst, d.eth.src, ETH_P_IP, payload=ip.emit()).emit()


def synack(profile):
    c = bring_to(State.LISTEN, profile)
    r = c.seg(SYN, options=syn_options())
    return c, r


def test_constraints() -> None:
    b: dict = {}
    assert Exact(5).allows(5, b) and not Exact(5).allows(6, b)
    assert AnyValue(bind="x").allows(42, b) and b["x"] == 42
    assert Range(1, 3).allows(3, b) and not Range(1, 3).allows(4, b)
    assert OneOf((1, 9)).allows(9, b) and not OneOf((1, 9)).allows(2, b)
    assert Relation("x", 1).allows(43, b) and not Relation("x", 1).allows(44, b)
    assert Relation("y", 5).allows(10, b) and b["y"] == 5  # an unbound variable binds
    assert Relation("z", 1).allows(0, {"z": 0xFFFFFFFF})  # modulo 2**32
    assert PrefixOf(b"abcdef", 3).allows(b"abcd", b) and not PrefixOf(b"abcdef", 3).allows(b"ab", b)
    assert Unordered(("TcpOptMss", "TcpOptNop", "TcpOptSackPermitted")).allows(
        ("TcpOptSackPermitted", "TcpOptMss"), b)


def test_prediction_matches_its_own_frame() -> None:
    _, r = synack(LINUX)
    assert r.predictions[0].check(r.frames[0]) == []


def test_isn_is_free_and_bound_for_later_segments() -> None:
    c, r = synack(LINUX)
    pred = r.predictions[0]
    other_isn = rebuild(r.frames[0], tcp_changes={"seq": 123456})
    bindings: dict = {}
    assert pred.check(other_isn, bindings) == []
    var = f"isn:{STACK_PORT}>{TESTER_PORT}"
    assert bindings[var] == 123456
    # The next segment of the connection must continue from the target's ISN.
    c.snd_nxt += 1
    c.rcv_nxt = dissect(r.frames[0]).tcp.seq + 1
    c.seg(ACK)
    r2 = c.seg(ACK, payload=b"hi")
    ack_pred = r2.predictions[0]
    good = rebuild(r2.frames[0], tcp_changes={"seq": 123457})
    bad = rebuild(r2.frames[0], tcp_changes={"seq": 123458})
    assert ack_pred.check(good, dict(bindings)) == []
    assert [d.field for d in ack_pred.check(bad, dict(bindings))] == ["tcp.seq"]


def test_linux_profile_narrows_ttl_and_window_rfc_allows_them() -> None:
    for profile, expect_fields in ((LINUX, {"ipv4.ttl", "tcp.window"}), (RFC, set())):
        _, r = synack(profile)
        other = rebuild(r.frames[0], ip_changes={"ttl": 128}, tcp_changes={"window": 29200})
        assert {d.field for d in r.predictions[0].check(other)} == expect_fields, profile.name


def test_ip_ident_is_free_but_a_bad_checksum_is_not() -> None:
    _, r = synack(LINUX)
    assert r.predictions[0].check(rebuild(r.frames[0], ip_changes={"ident": 4242})) == []
    d = dissect(r.frames[0])
    broken = EthernetRepr(d.eth.dst, d.eth.src, ETH_P_IP, payload=dataclasses.replace(
        d.ipv4, checksum=(d.ipv4.checksum + 1) & 0xFFFF).emit()).emit()
    assert [x.field for x in r.predictions[0].check(broken)] == ["ipv4.checksum"]


def test_option_order_free_in_rfc_exact_in_linux() -> None:
    for profile, diverges in ((LINUX, True), (RFC, False)):
        _, r = synack(profile)
        d = dissect(r.frames[0])
        reordered = tuple(reversed(d.tcp.options))
        other = rebuild(r.frames[0], tcp_changes={"options": reordered})
        fields = {x.field for x in r.predictions[0].check(other)}
        assert ("tcp.options" in fields) is diverges, profile.name


def test_missing_option_is_a_divergence() -> None:
    _, r = synack(RFC)
    other = rebuild(r.frames[0], tcp_changes={"options": (TcpOptMss(1460),)})
    fields = {x.field for x in r.predictions[0].check(other)}
    assert "tcp.opt.wscale" in fields and "tcp.opt.sackperm" in fields


def test_divergence_and_prediction_are_json_safe() -> None:
    _, r = synack(LINUX)
    other = rebuild(r.frames[0], ip_changes={"ttl": 1})
    divs = r.predictions[0].check(other)
    json.dumps([x.to_dict() for x in divs])
    json.dumps(r.to_dict())
    assert divs[0].rule == "RFC9293-3.10.7.2-MUST-listen-syn"


def test_rst_prediction_for_closed_port() -> None:
    c = bring_to(State.CLOSED, LINUX)
    r = c.seg(SYN)
    pred = r.predictions[0]
    assert pred.check(r.frames[0]) == []
    wrong = rebuild(r.frames[0], tcp_changes={"ack": 0, "flags": 0x04})
    assert {x.field for x in pred.check(wrong)} == {"tcp.ack", "tcp.flags"}


def test_an_all_zero_icmp_message_verifies_with_either_zero_checksum() -> None:
    """RFC 1624 3: ~(+0) = 0xFFFF and ~(-0) = 0x0000 are the same one's complement zero; an
    echo reply of identifier, sequence and data all zero may carry either (Linux sends
    0x0000). Any other message keeps the strict check."""
    from reference_stack.iface.icmp_messages import echo_reply
    from reference_stack.variance import Prediction
    from reference_stack.wire.icmpv4 import Icmpv4Repr
    from reference_stack.wire.ipv4 import IPPROTO_ICMP, Ipv4Repr

    src, dst = bytes([198, 18, 0, 1]), bytes([198, 18, 0, 2])

    def frame(icmp: bytes) -> bytes:
        ip = Ipv4Repr(src, dst, IPPROTO_ICMP, icmp, ident=7)
        return EthernetRepr(b"\x02" * 6, b"\x04" * 6, ETH_P_IP, payload=ip.emit()).emit()

    zero = echo_reply(Icmpv4Repr(8, 0, 0, bytes(16))).emit()
    assert zero[2:4] == b"\xff\xff"  # RFC 1071: ~(+0)
    predicted = Prediction(frame(zero), "r")
    linux = zero[:2] + b"\x00\x00" + zero[4:]
    assert predicted.check(frame(linux)) == []
    wrong = zero[:2] + b"\x12\x34" + zero[4:]
    assert [d.field for d in predicted.check(frame(wrong))] == ["icmpv4.checksum"]
    # A message with any non-zero octet has one valid checksum only.
    one = echo_reply(Icmpv4Repr(8, 0, 1, bytes(16))).emit()
    assert [d.field for d in Prediction(frame(one), "r").check(
        frame(one[:2] + b"\x00\x00" + one[4:]))] == ["icmpv4.checksum"]

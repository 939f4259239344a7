"""Sequence arithmetic, RTO estimator, buffers, clock and trace records."""

from __future__ import annotations

import json

import pytest

from reference_stack.clock import Timers, earliest
from reference_stack.tcp.buffers import ReceiveBuffer, SendBuffer
from reference_stack.tcp.rto import RtoEstimator
from reference_stack.tcp.seq import (
    segment_acceptable,
    seq_add,
    seq_diff,
    seq_ge,
    seq_gt,
    seq_in_window,
    seq_le,
    seq_lt,
)
from reference_stack.tcp.states import TABLES
from reference_stack.trace import Decision, Trace

TOP = 0xFFFFFFFF


def test_seq_wraparound() -> None:
    assert seq_add(TOP, 2) == 1
    assert seq_diff(1, TOP) == 2 and seq_diff(TOP, 1) == -2
    assert seq_lt(TOP, 0) and seq_gt(0, TOP) and seq_le(5, 5) and seq_ge(5, 5)
    assert seq_in_window(1, TOP, 3) and not seq_in_window(2, TOP, 3)


@pytest.mark.parametrize("seq,length,wnd,ok", [
    (100, 0, 0, True), (101, 0, 0, False),  # zero window: only SEG.SEQ = RCV.NXT
    (100, 1, 0, False),  # data never fits a zero window
    (100, 0, 10, True), (110, 0, 10, False),
    (95, 10, 10, True),  # the tail overlaps the window
    (90, 10, 10, False), (109, 5, 10, True), (110, 5, 10, False),
])
def test_segment_acceptability_four_cases(seq, length, wnd, ok) -> None:
    assert segment_acceptable(seq, length, 100, wnd) is ok


def test_rto_first_sample_and_smoothing() -> None:
    est = RtoEstimator(1.0, 0.2, 120.0)
    assert est.rto == 1.0
    est.sample(0.1)  # RFC 6298 2.2: SRTT = R, RTTVAR = R/2, RTO = SRTT + 4 RTTVAR
    assert est.srtt == pytest.approx(0.1) and est.rto == pytest.approx(0.3)
    est.sample(0.1)
    assert est.rttvar == pytest.approx(0.0375) and est.rto == pytest.approx(0.25)
    est.backoff()
    assert est.rto == pytest.approx(0.5)
    for _ in range(20):
        est.backoff()
    assert est.rto == 120.0
    est.sample(0.1)  # RFC 6298 5.7: a new sample replaces the backed-off value
    assert est.rto < 1.0


def test_rto_minimum() -> None:
    est = RtoEstimator(1.0, 1.0, 60.0)
    est.sample(0.001)
    assert est.rto == 1.0


def test_send_buffer() -> None:
    b = SendBuffer(TOP - 1, 10)
    assert b.write(b"abcdefghijkl") == 10 and b.free() == 0
    assert b.chunk(TOP, 3) == b"bcd"
    assert b.acknowledge(1) == 3 and b.base == 1 and b.chunk(1, 2) == b"de"
    assert b.end() == 8


def test_receive_buffer_out_of_order_and_sack() -> None:
    r = ReceiveBuffer(100)
    nxt = r.insert(20, b"ccc", 10)
    nxt = r.insert(30, b"ee", nxt)
    nxt = r.insert(23, b"dd", nxt)
    assert nxt == 10 and r.ready == b""
    # RFC 2018 4: the block with the most recent segment comes first.
    assert r.sack_blocks(10, 4) == ((20, 25), (30, 32))
    nxt = r.insert(10, b"0123456789", nxt)
    assert nxt == 25 and bytes(r.ready) == b"0123456789cccdd"
    assert r.sack_blocks(nxt, 4) == ((30, 32),)
    assert r.read(4) == b"0123" and r.window() == 100 - 11


def test_each_out_of_order_fin_counts_one_octet_at_its_own_sequence() -> None:
    # Linux tcp_data_queue_ofo queues every out-of-order FIN segment with its end_seq: a
    # second FIN elsewhere (stateful finding 85b553f615f1) is reported as [seq, seq + 1) too,
    # not as an empty block because the first FIN's sequence number was remembered.
    r = ReceiveBuffer(100)
    nxt = r.insert(50, b"", 10)  # the first FIN, out of order
    nxt = r.insert(20, b"", nxt)  # a later FIN at another sequence number
    assert nxt == 10
    assert r.sack_blocks(10, 4) == ((20, 21), (50, 51))


def test_timers() -> None:
    t = Timers()
    t.set("a", 5.0)
    t.set("b", 2.0)
    assert t.earliest() == 2.0 and t.pop_due(1.0) == []
    assert t.pop_due(5.0) == ["b", "a"] and t.earliest() is None
    assert earliest(None, 3.0, 1.0) == 1.0 and earliest(None) is None


def test_decision_records_are_small_and_json_safe() -> None:
    tr = Trace()
    tr.add("tcp", "drop", "RFC9293-3.10.7.4-MUST-first-check", "why")
    (d,) = tr.freeze()
    assert isinstance(d, Decision)
    assert json.loads(json.dumps(d.to_dict()))["rule"] == "RFC9293-3.10.7.4-MUST-first-check"
    with pytest.raises(AttributeError):
        d.rule = "x"  # type: ignore[misc]


def test_every_table_arm_cites_a_rule_and_quotes_the_rfc() -> None:
    import re
    pattern = re.compile(r"^RFC\d+-[\d.]+-(MUST|SHOULD|MAY)(-NOT)?-[a-z0-9-]+$")
    arms = [arm for table in TABLES.values() for arm in
            (table.rst, table.syn, table.ack_of_syn, table.ack_of_fin, table.text, table.fin,
             table.close, table.timeout) if arm is not None]
    assert len(TABLES) == 11 and arms
    for arm in arms:
        assert pattern.match(arm.rule), arm.rule
        assert len(arm.quote) > 20


def test_trace_follows_a_frame_through_the_layers() -> None:
    from reference_stack.tcp.state import State
    from reference_stack.wire.tcp import ACK
    from tests.unit.refstack.conn import bring_to
    c = bring_to(State.ESTABLISHED)
    r = c.advance(ACK, payload=b"hello")
    layers = [d.layer for d in r.trace]
    assert layers[:3] == ["ethernet", "ipv4", "tcp"] and "socket" in layers
    assert all(d.rule.startswith(("RFC", "LINUX", "IEEE")) for d in r.trace)

"""The segments in flight that the tail loss probe times the RTO from (tcp/loss_probe.py) are
kept in sequence order, so that the head is read and acknowledged segments are forgotten in
O(1) amortised: the head's send time must be the one a scan of every segment finds (the
segment starting first relative to SND.UNA, after those wholly acknowledged are gone)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from reference_stack.tcp import loss_probe
from reference_stack.tcp.buffers import ReceiveBuffer, SendBuffer
from reference_stack.tcp.rto import RtoEstimator
from reference_stack.tcp.seq import seq_add, seq_diff, seq_le
from reference_stack.tcp.state import State
from reference_stack.tcp.tcb import Tcb

ISS = 0xFFFFF000  # (sequence numbers wrap during the test)


def scanned_deadline(sent: dict[int, tuple[int, float]], una: int, rto: float) -> float | None:
    """What rto_deadline computed by scanning every segment."""
    if not sent:
        return None
    head = min(sent, key=lambda s: seq_diff(s, una))
    return sent[head][1] + rto


# Steps: ("send", length) new data; ("again", offset, length) a retransmission from SND.UNA +
# offset; ("ack", length) SND.UNA advances.
steps = st.lists(st.one_of(
    st.tuples(st.just("send"), st.integers(1, 3000)),
    st.tuples(st.just("again"), st.integers(0, 4000), st.integers(1, 3000)),
    st.tuples(st.just("ack"), st.integers(1, 4000))), max_size=40)


@settings(max_examples=300, deadline=None)
@given(steps)
def test_head_and_forgetting_match_a_full_scan(script: list[tuple]) -> None:
    tcb = Tcb(b"\1\2\3\4", 1, b"\1\2\3\5", 2, State.ESTABLISHED, ISS,
              rto=RtoEstimator(1.0, 0.2, 120.0), send=SendBuffer(ISS, 1 << 20),
              recv=ReceiveBuffer(1 << 20))
    tcb.snd_una = tcb.snd_nxt = ISS
    scanned: dict[int, tuple[int, float]] = {}
    for now, step in enumerate(script):
        in_flight = seq_diff(tcb.snd_nxt, tcb.snd_una)
        if step[0] == "send":
            seq, end = tcb.snd_nxt, seq_add(tcb.snd_nxt, step[1])
            tcb.snd_nxt = end
        elif step[0] == "again":
            if in_flight == 0:
                continue
            offset = step[1] % in_flight
            seq = seq_add(tcb.snd_una, offset)
            end = seq_add(seq, min(step[2], in_flight - offset))
        else:
            ack = seq_add(tcb.snd_una, min(step[1], in_flight))
            tcb.snd_una = ack
            loss_probe.forget_sent(tcb, ack)
            for start in [s for s, (e, _) in scanned.items() if seq_le(e, ack)]:
                del scanned[start]
            assert loss_probe.rto_deadline(tcb) == scanned_deadline(scanned, ack, 1.0)
            continue
        loss_probe.sent(tcb, seq, end, float(now))
        scanned[seq] = (end, float(now))
        assert loss_probe.rto_deadline(tcb) == scanned_deadline(scanned, tcb.snd_una, 1.0)
    assert bool(tcb.sent_at) == bool(scanned)

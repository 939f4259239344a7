"""A FIN carried by in-sequence text while later text is held out of order (RFC 9293
3.10.7.4): the segment is processed whole, its FIN in the eighth check, before any held
segment, so the FIN ends the stream where the segment puts it and what was held beyond it is
discarded. Linux (tcp_data_queue: tcp_fin, which purges the out-of-order queue, before
tcp_ofo_queue) and lwIP (tcp_receive: "received in-order FIN, binning ooseq queue") agree
(stateful fuzz finding 6a5eb87526a9 against lwIP)."""

from __future__ import annotations

import pytest

from reference_stack.profiles import LINUX, LWIP, RFC
from reference_stack.tcp.state import State
from reference_stack.wire.tcp import ACK, FIN, PSH
from tests.unit.refstack.conn import bring_to


@pytest.mark.parametrize("profile", [RFC, LINUX, LWIP], ids=["rfc", "linux", "lwip"])
@pytest.mark.parametrize("overlap", [0, 1], ids=["at-rcv-nxt", "straddling-rcv-nxt"])
def test_fin_in_sequence_discards_text_held_beyond_it(profile, overlap) -> None:
    c = bring_to(State.ESTABLISHED, profile)
    rcv_nxt = c.snd_nxt
    c.note(c.seg(ACK | PSH, seq=rcv_nxt + 1, payload=b"h" * 16))  # held out of order
    assert c.tcb().recv.ooo
    r = c.seg(FIN | ACK, seq=rcv_nxt - overlap, payload=b"x" * overlap + b"text")
    fin_at = rcv_nxt + 4
    assert c.tcb().rcv_nxt == fin_at + 1  # over the FIN, not over the held text
    assert not c.tcb().recv.ooo and c.state() is State.CLOSE_WAIT
    assert "RFC9293-3.10.7.4-MUST-fin-ends-stream" in r.rules()
    acks = [s.ack for s in c.note(r) if s.flags & ACK]
    # (Linux's tcp_fin enters ping-pong mode: its ACK may wait for the delayed-ACK timer.)
    assert acks == [fin_at + 1] or (profile is LINUX and not acks)

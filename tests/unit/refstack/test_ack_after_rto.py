"""RFC 9293 3.10.7.4 (fifth check): an ACK of something not yet sent (SEG.ACK > SND.NXT) is
answered and dropped. SND.NXT there is the next new sequence number: a retransmission after a
timeout does not move it back, so an ACK of all that was sent before the timeout (the
original segments arrived after all) is acceptable, not an "ACK of unsent data"."""

from __future__ import annotations

import pytest

from reference_stack.profiles import GVISOR, LINUX, RFC
from reference_stack.tcp.state import State
from reference_stack.wire.tcp import ACK, SYN
from tests.unit.refstack.conn import bring_to
from tests.unit.refstack.harness import syn_options, tcp_of


@pytest.mark.parametrize("profile", [RFC, LINUX, GVISOR], ids=["rfc", "linux", "gvisor"])
def test_ack_of_everything_sent_before_the_timeout_is_taken(profile) -> None:
    c = bring_to(State.SYN_SENT, profile)
    c.note(c.advance(SYN | ACK, options=syn_options(mss=1000, wscale=None, ts=None)))
    sent = tcp_of(c.stack.send(c.fd, bytes(3000), 0.0).reaction)
    end = sent[-1].seq + len(sent[-1].payload)
    now = c.stack.poll_at()
    while True:  # until the retransmission timeout's go-back has sent the head again
        c.tester.now = now
        again = tcp_of(c.stack.poll(now))
        if any(s.seq == sent[0].seq for s in again):
            break
        now = c.stack.poll_at()
    c.tester.now = now
    replies = c.note(c.seg(ACK, ack=end))
    assert c.tcb().snd_una == end
    assert not [r for r in replies if r.ack == c.snd_nxt and not r.payload], replies

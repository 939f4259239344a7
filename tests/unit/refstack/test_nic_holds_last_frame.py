"""A NIC that holds the last frame it sent until it sends another (profile nic_holds_last_frame:
the vm target's virtio_net without TX NAPI, start_xmit -> free_old_xmit_skbs): Linux's RTO
retransmission does not collapse that segment into the head (tcp_retrans_try_collapse stops at
an skb still cloned, tcp_can_collapse). Measured on the VM: data, then a FIN of its own, then
nothing: the RTO resends the data alone; an echo reply sent after the FIN: data and FIN."""

from __future__ import annotations

import dataclasses

import pytest

from reference_stack.profiles import LINUX, RFC
from reference_stack.socket_api import SHUT_WR
from reference_stack.tcp.state import State
from reference_stack.wire.icmpv4 import Icmpv4Repr
from reference_stack.wire.ipv4 import IPPROTO_ICMP
from reference_stack.wire.tcp import ACK, FIN, PSH, SYN, TcpOptSack
from tests.unit.refstack.conn import bring_to
from tests.unit.refstack.harness import syn_options

HELD = dataclasses.replace(LINUX, nic_holds_last_frame=True)
RULE = "LINUX-tcp_can_collapse-skb-cloned"


def _data_then_fin(profile, echo_between: bool = False):
    """ESTABLISHED; 8 octets sent, then the FIN as a segment of its own; the RTO's
    retransmission (after an echo reply when ``echo_between``) and its reaction."""
    c = bring_to(State.ESTABLISHED, profile)
    (data,) = c.note(c.stack.send(c.fd, b"probe me", 0.0).reaction)
    (fin,) = c.note(c.stack.shutdown(c.fd, SHUT_WR, 0.001).reaction)
    assert data.payload == b"probe me" and fin.flags & FIN and not fin.payload
    if echo_between:
        ping = c.tester.ip_frame(IPPROTO_ICMP, Icmpv4Repr(8, 0, 0x00010001, b"abc").emit())
        assert c.stack.receive(ping, 0.002).frames  # the echo reply: the NIC's last frame
    tcb = c.tcb()
    while tcb.retries == 0:  # (a loss probe may come first)
        r = c.stack.poll(c.stack.poll_at())
        sent = c.note(r)
    (again,) = sent
    return again, r


@pytest.mark.parametrize("profile", [RFC, LINUX, HELD], ids=["rfc", "linux", "held"])
def test_the_rto_collapses_the_fin_unless_the_nic_holds_it(profile) -> None:
    again, r = _data_then_fin(profile)
    held = profile is HELD
    # RFC 9293 3.8.1 lets the retransmission carry the FIN or not; Linux collapses it into
    # the head unless its skb is still the NIC's
    assert again.payload == b"probe me" and again.flags & PSH
    assert bool(again.flags & FIN) is not held
    assert (RULE in r.rules()) is held


def test_a_frame_sent_after_the_fin_frees_it() -> None:
    again, r = _data_then_fin(HELD, echo_between=True)
    assert again.payload == b"probe me" and again.flags & FIN and RULE not in r.rules()


@pytest.mark.parametrize("out_of_order", [False, True], ids=["template", "full-segment"])
def test_a_probe_resending_the_held_fin_frees_it(out_of_order: bool) -> None:
    """SACK: the tail loss probe resends the FIN while the NIC still holds its clone, so Linux
    sends a copy (__tcp_transmit_skb: pskb_copy of a cloned skb) and the queue's FIN is shared
    no more: the RTO collapses it into the head (the vm's test_orphan_retries, session 12).
    ``out_of_order``: with data held out of order from the tester, every segment the stack
    sends carries a SACK block (RFC 2018 4), so none is written from the connection's
    template: Sender.emit's TcpRepr path leaves nothing held after the probe too."""
    c = bring_to(State.LISTEN, HELD)
    c.note(c.advance(SYN, options=syn_options(wscale=None)))
    c.note(c.seg(ACK))
    fd = c.stack.accept(c.listen_fd).value[0]
    if out_of_order:
        c.note(c.seg(ACK | PSH, seq=c.snd_nxt + 100, payload=b"later"))
    (data,) = c.note(c.stack.send(fd, b"probe me", 0.0).reaction)
    (fin,) = c.note(c.stack.shutdown(fd, SHUT_WR, 0.001).reaction)
    tcb = c.tcb()
    sent = []
    while tcb.retries == 0:
        r = c.stack.poll(c.stack.poll_at())
        sent += c.note(r)
    probe, again = sent[0], sent[-1]
    assert all(bool(_sack_of(s)) is out_of_order for s in (data, fin, probe, again))
    assert probe.flags & FIN and probe.seq == fin.seq  # the loss probe: the FIN again
    assert again.payload == b"probe me" and again.flags & FIN and RULE not in r.rules()


def _sack_of(seg) -> tuple:
    return tuple(o for o in seg.options if isinstance(o, TcpOptSack))


@pytest.mark.parametrize("profile", [RFC, LINUX, HELD], ids=["rfc", "linux", "held"])
def test_a_frame_the_target_sent_on_its_own_frees_it(profile) -> None:
    """ReferenceStack.other_frame_sent (the lockstep's: an MLD report of the VM between the
    FIN and the RTO): the RTO collapses the FIN as with nothing held; no other profile
    changes."""
    c = bring_to(State.ESTABLISHED, profile)
    c.note(c.stack.send(c.fd, b"probe me", 0.0).reaction)
    c.note(c.stack.shutdown(c.fd, SHUT_WR, 0.001).reaction)
    c.stack.other_frame_sent()
    tcb = c.tcb()
    while tcb.retries == 0:
        r = c.stack.poll(c.stack.poll_at())
        sent = c.note(r)
    (again,) = sent
    assert again.payload == b"probe me" and again.flags & FIN and RULE not in r.rules()

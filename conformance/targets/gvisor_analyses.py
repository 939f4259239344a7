"""Analyses of gVisor's netstack behaviour that a data entry of suites/expectations/gvisor.toml
cannot state (conformance.judge.store: the entries naming an ``analysis`` by id)."""

from __future__ import annotations

from conformance.judge.store import Context
from reference_stack.tcp.seq import seq_diff
from reference_stack.wire.frame import dissect
from reference_stack.wire.tcp import ACK, RST


def udp_octets_beyond_length(ctx: Context) -> bool:
    """The datagram that diverged carries octets beyond its UDP length field (RFC 768: the
    length counts the header and the data; the rest is not data). netstack's
    transport/udp/endpoint.go checksums the whole IP payload, so such a datagram fails its
    checksum and is dropped before the port lookup (no delivery, no Port Unreachable)."""
    if ctx.sent is None:
        return False
    d = dissect(ctx.sent)
    if d.udp is None or d.ipv4 is None or d.udp.length is None:
        return False
    return 8 <= d.udp.length < len(d.ipv4.payload) and d.udp.checksum != 0


def connection_reset_by_an_earlier_rst(ctx: Context) -> bool:
    """An earlier frame of the case was a RST (no answer to it) that netstack took as a valid
    reset (transport/tcp/connect.go handleReset: any RST rcv.acceptable() admits, where RFC
    5961 3.2 challenges one not at RCV.NXT): the frame that diverged met a closed port."""
    for frame, answers in ctx.earlier:
        d = dissect(frame)
        if d.tcp is not None and d.tcp.flags & RST and not answers:
            return True
    return False


def earlier_ack_of_unsent_data_answered(ctx: Context) -> bool:
    """An earlier frame of the case (a stateful case, frames as drawn: its ACK counted from
    the DUT's canonical ISN) acknowledged more than the DUT can have sent (its SYN, the
    octets given to send(), a FIN) and drew an answer: netstack, ESTABLISHED to itself
    while its FIN was still queued, took that segment past the ACK check (rcv.go
    handleRcvdSegment) and answered it without the 500 ms limit of allowOutOfWindowAck, so
    the limit the oracle started there does not hold back netstack's next ACK."""
    isn = ctx.constants.get("dut_isn")
    if isn is None or not ctx.steps:
        return False
    most = 2 + sum(len(step.get("data", "")) // 2 for step in ctx.steps
                   if step.get("call") == "send")
    for frame, answers in ctx.earlier:
        d = dissect(frame)
        if d.tcp is not None and d.tcp.flags & ACK and answers and \
                seq_diff(d.tcp.ack, isn) > most:
            return True
    return False


ANALYSES = {"udp-octets-beyond-length": udp_octets_beyond_length,
            "connection-reset-by-an-earlier-rst": connection_reset_by_an_earlier_rst,
            "earlier-ack-of-unsent-data-answered": earlier_ack_of_unsent_data_answered}

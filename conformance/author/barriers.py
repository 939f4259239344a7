"""Barrier probes: how "expect nothing" knows the target has answered everything so far.

DESIGN principle 6: for a target that processes frames in order and at once, send a probe
after the frames under test; when the probe's answer arrives, any answer to them has arrived
too. The default probe is an ICMP echo request (RFC 1122 3.2.2.6: every host MUST answer it).
A DUT may be set not to (Linux: net.ipv4.icmp_echo_ignore_all=1), so at bed set-up the harness
checks which probe the target answers (:func:`choose`), in this order:

- ``echo``: ICMP echo request -> echo reply (RFC 1122 3.2.2.6);
- ``udp``: a UDP datagram to a closed port -> ICMP port unreachable (RFC 1122 4.1.3.1, a
  SHOULD; Linux answers it in softirq, synchronously, like the echo);
- ``tcp``: a SYN to a closed port -> RST (RFC 9293 3.10.7.1, a MUST);

and when none is answered, the target's quiescence window. Every probe is an ordinary frame
on the test's timeline: the lockstep oracle predicts its answer like any other, so no probe is
hidden from the comparison. The suites (conformance.author.exchange) and the fuzzers
(fuzz.session, which send the probe to the target only) use the probes, the choice and the
capabilities it gives (:func:`for_bed`, :func:`with_probe`) from here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from conformance.author import templates
from conformance.author.templates import LinkDefaults
from conformance.fabric.link import Barrier, LinkTimeout, TesterLink
from conformance.targets.base import Capabilities, TestBed

BARRIER_IDENT = 0xBA55
BARRIER_PAYLOAD = b"netconform-barrier"
# A DUT port no suite opens (UDP and TCP), and the tester's source port for the probes.
CLOSED_PORT = 33434
PROBE_SRC_PORT = 0xBA55
# How long bed set-up waits for each candidate probe: a synchronous target answers in well
# under a millisecond over a veth (measured ~0.1 ms); the margin is for a loaded machine.
CHECK_TIMEOUT_S = 1.0
ICMP_DEST_UNREACH, ICMP_PORT_UNREACH = 3, 3
TCP_RST = 0x04


def echo_reply_predicate(ident: int, seq: int) -> Callable[[bytes], bool]:
    """Byte-level match for an ICMPv4 echo reply with this ident and sequence (no dissect)."""
    type_code = b"\x00\x00"  # echo reply, code 0
    id_seq = ident.to_bytes(2, "big") + seq.to_bytes(2, "big")

    def is_reply(frame: bytes) -> bool:
        if frame[12:14] != b"\x08\x00" or len(frame) < 42 or frame[23] != 1:
            return False
        off = 14 + (frame[14] & 0x0F) * 4
        return frame[off : off + 2] == type_code and frame[off + 4 : off + 8] == id_seq

    return is_reply


def port_unreachable_predicate(ident: int) -> Callable[[bytes], bool]:
    """An ICMPv4 port unreachable quoting our UDP probe (its IPv4 ident and ports)."""
    ports = PROBE_SRC_PORT.to_bytes(2, "big") + CLOSED_PORT.to_bytes(2, "big")

    def is_reply(frame: bytes) -> bool:
        if frame[12:14] != b"\x08\x00" or len(frame) < 14 + 20 + 8 + 28 or frame[23] != 1:
            return False
        icmp = 14 + (frame[14] & 0x0F) * 4
        if frame[icmp] != ICMP_DEST_UNREACH or frame[icmp + 1] != ICMP_PORT_UNREACH:
            return False
        quoted = icmp + 8
        q_l4 = quoted + (frame[quoted] & 0x0F) * 4
        return (frame[quoted + 9] == 17 and frame[q_l4 : q_l4 + 4] == ports
                and frame[quoted + 4 : quoted + 6] == ident.to_bytes(2, "big"))

    return is_reply


def rst_predicate(seq: int) -> Callable[[bytes], bool]:
    """The RST answering our SYN probe (ports reversed, ACK = its sequence number + 1)."""
    ports = CLOSED_PORT.to_bytes(2, "big") + PROBE_SRC_PORT.to_bytes(2, "big")
    ack = ((seq + 1) & 0xFFFFFFFF).to_bytes(4, "big")

    def is_reply(frame: bytes) -> bool:
        if frame[12:14] != b"\x08\x00" or len(frame) < 54 or frame[23] != 6:
            return False
        tcp = 14 + (frame[14] & 0x0F) * 4
        return (frame[tcp : tcp + 4] == ports and bool(frame[tcp + 13] & TCP_RST)
                and frame[tcp + 8 : tcp + 12] == ack)

    return is_reply


def probe(kind: str, defaults: LinkDefaults, seq: int) -> Barrier:
    """Barrier probe ``kind`` number ``seq`` (1..65535) and the predicate of its answer."""
    seq &= 0xFFFF
    if kind == "echo":
        frame = templates.build((templates.ICMPv4(type=8, rest=(BARRIER_IDENT << 16) | seq),
                                 templates.Payload(BARRIER_PAYLOAD)), defaults)
        return Barrier(frame, echo_reply_predicate(BARRIER_IDENT, seq))
    if kind == "udp":
        frame = templates.build((templates.IPv4(ident=seq),
                                 templates.UDP(src_port=PROBE_SRC_PORT, dst_port=CLOSED_PORT),
                                 templates.Payload(BARRIER_PAYLOAD)), defaults)
        return Barrier(frame, port_unreachable_predicate(seq))
    if kind == "tcp":
        isn = (BARRIER_IDENT << 16) | seq
        frame = templates.build((templates.TCP(src_port=PROBE_SRC_PORT, dst_port=CLOSED_PORT,
                                               flags="S", seq=isn),), defaults)
        return Barrier(frame, rst_predicate(isn))
    raise ValueError(f"unknown barrier probe {kind!r}")


class ProbeRing:
    """``size`` probes of one kind built once and sent in turn, for a hot path (the fuzzers
    send one a step; building one costs ~50-100 us): probe ``n`` shares its number with probe
    ``n - size`` only, whose answer was taken (or waited out) long before."""

    def __init__(self, kind: str, defaults: LinkDefaults, size: int = 16) -> None:
        self.kind = kind
        self._probes = [probe(kind, defaults, seq) for seq in range(1, size + 1)]
        self._next = 0

    def next(self) -> Barrier:
        barrier = self._probes[self._next]
        self._next = (self._next + 1) % len(self._probes)
        return barrier


KINDS = ("echo", "udp", "tcp")
DESCRIPTIONS = {
    "echo": "ICMP echo request",
    "udp": "UDP datagram to a closed port (ICMP port unreachable)",
    "tcp": "TCP SYN to a closed port (RST)",
}


def choose(link: TesterLink, defaults: LinkDefaults) -> str | None:
    """The first probe kind the target answers on ``link``; None: none is (use quiescence)."""
    for seq, kind in enumerate(KINDS, 1):
        try:
            link.barrier(probe(kind, defaults, seq), CHECK_TIMEOUT_S)
        except LinkTimeout:
            continue
        return kind
    return None


def for_bed(bed: TestBed) -> str | None:
    """Bed set-up's choice for a target's beds, made on ``bed``: the first probe the target
    answers (:func:`choose`; None: none is); a target that does not reply synchronously
    waits out its quiescence window anyway and keeps its own probe."""
    if not bed.capabilities.replies_synchronously:
        return bed.capabilities.barrier
    return choose(bed.link, templates.link_defaults(bed.endpoints))


def with_probe(caps: Capabilities, kind: str | None) -> Capabilities:
    """A bed's capabilities with the probe bed set-up chose; None: no probe is answered, so
    "expect nothing" waits out the quiescence window (and sends no probe)."""
    if kind is None:
        return dataclasses.replace(caps, replies_synchronously=False, barrier=None)
    return dataclasses.replace(caps, barrier=kind)


def fallback_note(kind: str | None) -> str | None:
    """One line saying what 'expect nothing' uses when it is not the echo; None for the echo."""
    if kind == "echo":
        return None
    instead = DESCRIPTIONS[kind] if kind else "a quiescence window (slower, no barrier answered)"
    return f"the target does not answer ICMP echo: 'expect nothing' waits for {instead}"

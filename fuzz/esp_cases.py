"""ESP cases, structure-aware (issue 15): one frame from a template name and
:data:`ENTROPY` octets, built with the lab's SAs (fuzz/esp_lab.py) by the tester's end of them
(reference_stack/ipsec/peer.py), as the hypothesis engine draws its compact cases (a template
index and the entropy; all-zero entropy is the template's canonical frame, so hypothesis
shrinks towards it).

Sequence numbers are drawn relative to the oracle's anti-replay window of the SA (RFC 4303
3.4.3) at the time the case is built, so "below", "inside", "duplicate" and "ahead" mean
what they say whatever the earlier cases did; the target's window is the oracle's as long as
the two agreed (:meth:`EspCases.resync` puts them together again after a case where they
did not).

Entropy octets: 0 the SA, 1 the inner packet's variant, 2-3 the UDP port, 4 the payload
length, 5 TCP flags, 6-7 an offset (window position, corrupted octet, octets cut), 8 the bit
flipped, 9 a padding octet.
"""

from __future__ import annotations

from fuzz.esp_lab import TCP, TCP_PORT, TESTER_PORT, UDP, EspLab, LabSa
from reference_stack.ipsec.esp import HEADER, NEXT_HEADER_DUMMY, padding
from reference_stack.ipsec.peer import EspPeer
from reference_stack.ipsec.sad import SaState
from reference_stack.wire.addr import ip4, ip6, mac
from reference_stack.wire.frame import build_frame, build_frame_v6
from reference_stack.wire.icmpv4 import Icmpv4Repr
from reference_stack.wire.icmpv6 import Icmpv6Repr
from reference_stack.wire.ipv4 import Ipv4Repr
from reference_stack.wire.ipv6 import Ipv6Repr
from reference_stack.wire.tcp import ACK, FIN, PSH, RST, SYN, TcpRepr
from reference_stack.wire.udp import UdpRepr

SEQ_MAX = 0xFFFFFFFF
ICMP, ICMPV6 = 1, 58
UNKNOWN_SPI = 0x7E000000
FIRST_UDP_PORT = 33000  # DUT UDP ports the cases use: none open, each answers unreachable
# RFC 4303 3.4.3's checks and the trailer's (2.4-2.6), and RFC 4301 5.2's policy checks.
TEMPLATES: tuple[str, ...] = (
    "valid", "unknown-spi", "seq-zero", "seq-below", "seq-inside", "seq-duplicate",
    "seq-ahead", "seq-far", "esn-wrap", "icv", "ciphertext", "iv", "truncated",
    "bad-padding", "pad-length", "dummy", "outside-selector", "cleartext", "after-ext-header",
)
IPPROTO_DSTOPTS = 60
# RFC 8200 4.6: a Destination Options header before ESP (RFC 4303 3.1.1: ESP after the
# extension headers it does not protect), its only option a PadN of 4 octets.
DSTOPTS_BEFORE_ESP = bytes((50, 0, 1, 4, 0, 0, 0, 0))
TCP_FLAGS = (SYN, ACK, SYN | ACK, FIN | ACK, PSH | ACK, RST, RST | ACK, 0, FIN, SYN | FIN)


class EspCases:
    """Frames of the lab's SAs for the tester to send; ``windows(spi)`` is the oracle's
    inbound SA state of an SPI to the DUT (its window)."""

    def __init__(self, lab: EspLab, tester_mac: str, dut_mac: str, endpoints: object,
                 windows: dict[int, SaState]) -> None:
        self.lab = lab
        self.tester_mac, self.dut_mac = mac(tester_mac), mac(dut_mac)
        ep = endpoints
        self.v4 = (ip4(ep.tester_ipv4), ip4(ep.dut_ipv4))  # type: ignore[attr-defined]
        self.v6 = ((ip6(ep.tester_ipv6), ip6(ep.dut_ipv6))  # type: ignore[attr-defined]
                   if any(s.ipv6 for s in lab.sas) else None)
        self.windows = windows
        self.peers = {s.to_dut.spi: EspPeer(s.to_dut) for s in lab.sas}
        # The highest sequence number sent on each SA (what a resync goes past).
        self.sent_max = {s.to_dut.spi: 0 for s in lab.sas}

    # -- the decoder the hypothesis engine calls ------------------------------------------
    def case(self, parts: tuple[tuple[str, bytes], ...], max_frames: int = 1
             ) -> tuple[bytes, ...]:
        return tuple(self.frame(name, entropy) for name, entropy in parts[:max_frames])

    def frame(self, template: str, e: bytes) -> bytes:
        sa = self.lab.sas[e[0] % len(self.lab.sas)]
        if template == "cleartext":
            # RFC 4301 5.2: a cleartext packet a PROTECT policy covers is discarded.
            proto, transport = self.inner(sa, e, own=True)
            return self.ip(sa, proto, transport)
        if template == "outside-selector":
            proto, transport = self.inner(sa, e, own=False)
        else:
            proto, transport = self.inner(sa, e, own=True)
        seq = self.seq(template, sa, e)
        offset = int.from_bytes(e[6:8], "big")
        peer = self.peers[sa.to_dut.spi]
        knobs: dict = {}
        if template == "unknown-spi":
            knobs["spi"] = UNKNOWN_SPI | offset
        elif template == "dummy":
            proto = NEXT_HEADER_DUMMY  # RFC 4303 2.6
        elif template == "bad-padding":
            knobs["pad"] = self.bad_padding(peer, len(transport), e)
        elif template == "pad-length":
            # RFC 4303 2.5: a Pad Length past the decrypted data
            knobs["pad_length"] = len(transport) + 1 + offset % 200
        packet = peer.seal(transport, proto, seq=seq, **knobs)
        packet = self.mutate(template, peer, packet, offset, e[8])
        if knobs.get("spi") is None:
            sent = seq if sa.to_dut.esn else seq & SEQ_MAX
            self.sent_max[sa.to_dut.spi] = max(self.sent_max[sa.to_dut.spi], sent)
        if template == "after-ext-header" and sa.ipv6:
            return self.ip(sa, IPPROTO_DSTOPTS, DSTOPTS_BEFORE_ESP + packet)
        return self.ip(sa, 50, packet)

    # -- the parts of a frame -------------------------------------------------------------
    def seq(self, template: str, sa: LabSa, e: bytes) -> int:
        """The case's sequence number (64 bits with ESN, RFC 4303 2.2.1), from the oracle's
        window of the SA."""
        state = self.windows[sa.to_dut.spi]
        top, size, esn = state.replay.top, max(sa.to_dut.replay_window, 1), sa.to_dut.esn
        k = int.from_bytes(e[6:8], "big")
        limit = (1 << 64) - 1 if esn else SEQ_MAX
        if template == "seq-zero":
            return (top >> 32) << 32 if esn else 0
        if template == "seq-below":
            return max(top - size - k % 64, 1)
        if template == "seq-inside":
            return max(top - k % size, 1)
        if template == "seq-duplicate":
            return max(top, 1)
        if template == "seq-ahead":
            return min(top + 2 + k % (2 * size), limit)
        if template == "seq-far":
            return min(top + (1 << (8 + k % (24 if esn else 16))), limit)
        if template == "esn-wrap":
            if not esn:  # a sender that cycled its counter (RFC 4303 3.3.3 forbids it)
                return (1 << 32) + k % 4
            # RFC 4303 Appendix A: just below the next 2^32 boundary, or just past it
            boundary = ((top >> 32) + 1) << 32
            return boundary + k % 4 if k & 0x80 else boundary - 1 - k % 4
        return min(top + 1, limit)

    def inner(self, sa: LabSa, e: bytes, own: bool) -> tuple[int, bytes]:
        """The transport the packet carries: one the SA's selector covers (``own``), else
        one it does not (RFC 4301 5.2: dropped after decryption)."""
        src, dst = self.addresses(sa)
        variant = e[1] % 3
        if own:
            kind = sa.proto
        elif variant == 0:
            kind = UDP if sa.proto == TCP else TCP
        elif variant == 1:
            kind = ICMPV6 if sa.ipv6 else ICMP
        else:
            kind = -sa.proto  # the SA's protocol to another port
        size = e[4] % 48
        data = bytes(0x61 + i % 26 for i in range(size))
        if kind in (UDP, -UDP):
            port = FIRST_UDP_PORT + int.from_bytes(e[2:4], "big") % 1000
            return UDP, UdpRepr(TESTER_PORT, port, data).emit(src, dst)
        if kind in (TCP, -TCP):
            port = TCP_PORT if kind == TCP else TCP_PORT + 1
            flags = TCP_FLAGS[e[5] % len(TCP_FLAGS)]
            seg = TcpRepr(TESTER_PORT, port, 0x10000 * (1 + e[9]), 1000 if flags & ACK else 0,
                          flags, 8192, data)
            return TCP, seg.emit(src, dst)
        if kind == ICMPV6:
            return ICMPV6, Icmpv6Repr(128, 0, 0xE5B0001, data).emit(src, dst)
        return ICMP, Icmpv4Repr(8, 0, 0xE5B0001, data).emit()

    def bad_padding(self, peer: EspPeer, length: int, e: bytes) -> bytes:
        """Padding of the right length (at least one block's worth) whose octets are not
        1, 2, 3, ... (RFC 4303 2.4)."""
        t = peer.transform
        pad = padding(length, t.align) or bytes(range(1, max(t.align, 4) + 1))
        wrong = (e[9] | 0x80) & 0xFF
        at = e[6] % len(pad)
        return pad[:at] + bytes((wrong,)) + pad[at + 1:]

    @staticmethod
    def mutate(template: str, peer: EspPeer, packet: bytes, offset: int, bit: int) -> bytes:
        """ICV, ciphertext or IV with one bit flipped (RFC 4303 3.4.4.1: the ICV check
        fails), or the packet cut short."""
        t = peer.transform
        flip = 1 << (bit % 8)
        body = HEADER.size
        if template == "truncated":
            return packet[:len(packet) - 1 - offset % (len(packet) - 1)]
        if template == "icv":
            at = len(packet) - 1 - offset % t.icv_len
        elif template == "iv" and t.iv_len:
            at = body + offset % t.iv_len
        elif template in ("ciphertext", "iv"):
            span = len(packet) - t.icv_len - body - t.iv_len
            at = body + t.iv_len + offset % max(span, 1)
        else:
            return packet
        return packet[:at] + bytes((packet[at] ^ flip,)) + packet[at + 1:]

    def addresses(self, sa: LabSa) -> tuple[bytes, bytes]:
        return self.v6 if sa.ipv6 and self.v6 is not None else self.v4

    def ip(self, sa: LabSa, proto: int, payload: bytes) -> bytes:
        src, dst = self.addresses(sa)
        if sa.ipv6:
            return build_frame_v6(self.tester_mac, self.dut_mac,
                                  Ipv6Repr(src, dst, proto, payload))
        return build_frame(self.tester_mac, self.dut_mac,
                           Ipv4Repr(src, dst, proto, payload, df=True, ident=0xE5))

    # -- after a case the stacks disagreed on ----------------------------------------------
    def resync(self) -> list[bytes] | None:
        """Valid packets past every sequence number sent, one per SA: each stack's window
        then holds only that one (RFC 4303 3.4.3), the same again. None when an SA without
        ESN has no sequence number left past them (the batch is spent)."""
        frames = []
        for sa in self.lab.sas:
            spi = sa.to_dut.spi
            seq = self.sent_max[spi] + 1
            if seq > SEQ_MAX and not sa.to_dut.esn:
                return None
            self.sent_max[spi] = seq
            src, dst = self.addresses(sa)
            if sa.proto == UDP:
                proto, transport = UDP, UdpRepr(TESTER_PORT, FIRST_UDP_PORT, b"").emit(src, dst)
            else:  # a RST is never answered (RFC 9293 3.10.7.1)
                proto, transport = TCP, TcpRepr(TESTER_PORT, TCP_PORT, 1, 0, RST, 0).emit(
                    src, dst)
            frames.append(self.ip(sa, 50, self.peers[spi].seal(transport, proto, seq=seq)))
        return frames

    def spent(self) -> bool:
        """An SA without ESN near the end of its sequence numbers (RFC 4303 3.3.3)."""
        return any(not sa.to_dut.esn and self.sent_max[sa.to_dut.spi] > SEQ_MAX - (1 << 16)
                   for sa in self.lab.sas)

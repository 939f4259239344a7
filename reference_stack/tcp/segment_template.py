"""The common segments of a connection written from a per-connection template (the output hot
path of `output.Sender.emit`).

Most segments of a synchronized connection are ACK (PSH, FIN) segments with no options but
timestamps (RFC 7323 3.2: NOP, NOP, TSopt, the layout of RFC 7323 appendix A that
`options.data_options` writes) or with none at all. For those the template writes the octets
`TcpRepr(...).emit(src, dst)` would write, without building the Repr or its option objects:
the constant words (pseudo-header addresses and protocol, ports, data offset, option kinds)
are summed once, and the header is packed with one struct.

The checksum (RFC 9293 3.1, RFC 1071) is the one's complement of the one's complement sum of
16-bit words. Since 2**16 == 1 (mod 0xFFFF), a 32-bit field contributes its value mod 0xFFFF
just as its two words do, so seq, ack and the timestamps are added whole, and the payload by
`checksum.word_sum` (RFC 1071 2(C), deferred carries).

The template also keeps what `tcp.variance.segment_variance` reads of the TCB (ISS, ISN name,
ephemeral port, remote port) as they were when the segment was emitted, so that a prediction's
variance built later (variance.Prediction.lazy) is the one built at once.
"""

from __future__ import annotations

import struct

from reference_stack.tcp.tcb import Tcb
from reference_stack.wire.checksum import pseudo_header_sum, word_sum
from reference_stack.wire.ipv4 import IPPROTO_TCP

# Fixed header (ports, seq, ack, data offset, flags, window, checksum, urgent pointer), then
# for the timestamps layout NOP, NOP, kind 8, length 10, TSval, TSecr (RFC 7323 appendix A).
_PLAIN = struct.Struct("!HHIIBBHHH")
_WITH_TS = struct.Struct("!HHIIBBHHHIII")
_TS_KINDS = 0x0101080A
_OFFSET_PLAIN = 5 << 4
_OFFSET_TS = 8 << 4


class SegmentTemplate:
    """Per-connection output template; also the TCB view of the segment's variance."""

    __slots__ = ("local_port", "remote_port", "iss", "isn_name", "ephemeral", "_sum_plain",
                 "_sum_ts")

    def __init__(self, tcb: Tcb) -> None:
        self.local_port = tcb.local_port
        self.remote_port = tcb.remote_port
        self.iss = tcb.iss
        self.isn_name = tcb.isn_name
        self.ephemeral = tcb.ephemeral
        const = pseudo_header_sum(tcb.local_ip, tcb.remote_ip, IPPROTO_TCP, 0) + \
            tcb.local_port + tcb.remote_port
        self._sum_plain = const + (_OFFSET_PLAIN << 8) + 20
        self._sum_ts = const + (_OFFSET_TS << 8) + 32 + (_TS_KINDS >> 16) + (_TS_KINDS & 0xFFFF)

    def _key(self) -> tuple:
        return (self.local_port, self.remote_port, self.iss, self.isn_name, self.ephemeral,
                self._sum_plain, self._sum_ts)

    def __eq__(self, other: object) -> bool:  # a value (TCB states compare equal)
        return type(other) is SegmentTemplate and self._key() == other._key()

    __hash__ = None  # type: ignore[assignment]

    def fits(self, tcb: Tcb) -> bool:
        """Still the connection's. Only TcpLayer.rebase_isn and rebase_port renumber a TCB
        (its ISS, its local port), and they drop its template; the rest is fixed before its
        first non-SYN segment."""
        return self.iss == tcb.iss and self.local_port == tcb.local_port

    def segment(self, seq: int, ack: int, flags: int, window: int,
                ts: tuple[int, int] | None, payload: bytes) -> bytes:
        """The octets of <SEQ=seq><ACK=ack><CTL=flags><WND=window> with `payload` and, if
        `ts` is given, NOP NOP TSopt(ts): what TcpRepr.emit writes for that segment."""
        # (The checksum is fold(total), inline: the total is never zero, it holds the
        # pseudo-header's protocol.)
        if ts is None:
            total = self._sum_plain + len(payload) + flags + window + seq + ack
            if payload:
                total += word_sum(payload)
            return _PLAIN.pack(self.local_port, self.remote_port, seq, ack, _OFFSET_PLAIN,
                               flags, window, ~(total % 0xFFFF or 0xFFFF) & 0xFFFF,
                               0) + payload
        tsval, tsecr = ts
        total = self._sum_ts + len(payload) + flags + window + seq + ack + tsval + tsecr
        if payload:
            total += word_sum(payload)
        return _WITH_TS.pack(self.local_port, self.remote_port, seq, ack, _OFFSET_TS, flags,
                             window, ~(total % 0xFFFF or 0xFFFF) & 0xFFFF, 0, _TS_KINDS,
                             tsval, tsecr) + payload

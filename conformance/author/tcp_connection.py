"""A TCP connection helper for tests: it tracks seq/ack, windows and options, so a test states
only the field it is about (packetimpact's ``TCPIPv4`` in spirit).

The tester side is played by this helper; the DUT side by the target's own stack::

    conn = ex.tcp(dut_port=8080)
    conn.handshake()                    # SYN, expect SYN-ACK (ack = ISN + 1), ACK
    conn.send(flags="PA", payload=b"x") # seq/ack/ports/window/timestamps filled in
    conn.expect(flags="A", ack=conn.snd_nxt)
"""

from __future__ import annotations

import itertools
from typing import Any

from conformance.author.templates import TCP, Layer, Payload
from reference_stack.wire import tcp as tcpw
from reference_stack.wire.frame import Dissected

_ports = itertools.count(41000)

DEFAULT_SYN_OPTIONS = (
    tcpw.TcpOptMss(1460),
    tcpw.TcpOptSackPermitted(),
    tcpw.TcpOptTimestamps(1, 0),
    tcpw.TcpOptNop(),
    tcpw.TcpOptWindowScale(7),
)


def seq_add(a: int, n: int) -> int:
    return (a + n) & 0xFFFFFFFF


def seg_len(t: tcpw.TcpRepr) -> int:
    """SEG.LEN: payload plus one for each of SYN and FIN (RFC 9293 3.4)."""
    return seg_len_of(t.flags, len(t.payload))


def seg_len_of(flags: int, payload_len: int) -> int:
    return payload_len + bool(flags & tcpw.SYN) + bool(flags & tcpw.FIN)


class TcpConnection:
    def __init__(self, ex: Any, dut_port: int, tester_port: int | None = None,
                 isn: int = 0x1000_0000, window: int = 64240,
                 syn_options: tuple[Any, ...] = DEFAULT_SYN_OPTIONS) -> None:
        self.ex = ex
        self.dut_port = dut_port
        self.tester_port = tester_port or next(_ports)
        self.isn = isn
        self.snd_nxt = isn  # the tester's next sequence number
        self.rcv_nxt: int | None = None  # what the tester expects next from the DUT
        self.their_isn: int | None = None
        self.window = window
        self.syn_options = syn_options
        self.timestamps = any(isinstance(o, tcpw.TcpOptTimestamps) for o in syn_options)
        self.ts_val = 1
        self.ts_recent = 0
        self.their_wscale: int | None = None
        self.last: tcpw.TcpRepr | None = None  # the last segment received from the DUT

    # -- building -------------------------------------------------------------------------
    def _options(self, flags: int) -> tuple[Any, ...]:
        if flags & tcpw.SYN:
            return tuple(
                tcpw.TcpOptTimestamps(self.ts_val, self.ts_recent)
                if isinstance(o, tcpw.TcpOptTimestamps) else o
                for o in self.syn_options
            )
        if self.timestamps:
            return (tcpw.TcpOptNop(), tcpw.TcpOptNop(),
                    tcpw.TcpOptTimestamps(self.ts_val, self.ts_recent))
        return ()

    def segment(self, payload: bytes = b"", **fields: Any) -> tuple[Layer, ...]:
        """The template of the next tester segment, with ``fields`` overriding defaults."""
        flags = fields.pop("flags", "A")
        flag_bits = tcpw.parse_flags(flags) if isinstance(flags, str) else flags
        tcp_fields: dict[str, Any] = {
            "src_port": self.tester_port, "dst_port": self.dut_port, "seq": self.snd_nxt,
            "ack": self.rcv_nxt or 0, "flags": flag_bits, "window": self.window,
            "options": self._options(flag_bits),
        }
        if not flag_bits & tcpw.ACK and "ack" not in fields:
            tcp_fields["ack"] = 0
        ip_fields = {**fields.pop("ipv4", {}), **fields.pop("ip", {})}
        tcp_fields.update(fields)
        layers: tuple[Layer, ...] = (self.ex.family.ip(**ip_fields), TCP(**tcp_fields))
        return layers + ((Payload(payload),) if payload else ())

    def send(self, payload: bytes = b"", advance: bool = True, **fields: Any) -> bytes:
        """Send a segment; unless ``advance`` is False, SND.NXT moves by its SEG.LEN."""
        layers = self.segment(payload, **fields)
        frame = self.ex.send(*layers)
        tcp = layers[1].fields  # the segment as sent: seq and flags (an int) are always there
        if advance and tcp["seq"] == self.snd_nxt:
            self.snd_nxt = seq_add(self.snd_nxt, seg_len_of(tcp["flags"], len(payload)))
        self.ts_val += 1
        return frame

    # -- expecting ------------------------------------------------------------------------
    def template(self, payload: bytes | None = None, **fields: Any) -> tuple[Layer, ...]:
        ep = self.ex.bed.endpoints
        family = self.ex.family
        layers: tuple[Layer, ...] = (
            family.ip(src=family.dut_ip(ep), dst=family.tester_ip(ep)),
            TCP(src_port=self.dut_port, dst_port=self.tester_port, **fields),
        )
        return layers + ((Payload(payload),) if payload is not None else ())

    def expect(self, payload: bytes | None = None, timeout: float = 3.0,
               immediate: bool = False, **fields: Any) -> tcpw.TcpRepr:
        """The next DUT segment of this connection matching ``fields``; tracks RCV.NXT.
        ``immediate``: an answer that comes at once or not at all (Exchange.expect)."""
        seg = self.expect_frame(payload, timeout, immediate, **fields).tcp
        assert seg is not None
        return seg

    def expect_frame(self, payload: bytes | None = None, timeout: float = 3.0,
                     immediate: bool = False, **fields: Any) -> Dissected:
        """As ``expect``, the whole frame (its IP header too, e.g. to quote it in an ICMP error)."""
        got: Dissected = self.ex.expect(*self.template(payload, **fields), timeout=timeout,
                                        immediate=immediate)
        assert got.tcp is not None
        self._learn(got.tcp)
        return got

    def _learn(self, seg: tcpw.TcpRepr) -> None:
        self.last = seg
        if seg.flags & tcpw.SYN:
            self.their_isn = seg.seq
            self.their_wscale = seg.window_scale
            if seg.timestamps is None:
                self.timestamps = False
        end = seq_add(seg.seq, seg_len(seg))
        if self.rcv_nxt is None or seg_len(seg) and seg.seq == self.rcv_nxt:
            self.rcv_nxt = end
        if seg.timestamps is not None:
            self.ts_recent = seg.timestamps[0]

    def expect_nothing(self) -> None:
        self.ex.expect_nothing(*self.template())

    # -- whole exchanges ------------------------------------------------------------------
    def handshake(self) -> tcpw.TcpRepr:
        """Active open from the tester to a DUT listener (RFC 9293 3.5, figure 6)."""
        self.send(flags="S")
        synack = self.expect(flags="SA", ack=self.snd_nxt)
        self.send(flags="A")
        return synack

    def send_data(self, data: bytes) -> None:
        self.send(data, flags="PA")

    def expect_data(self, data: bytes, timeout: float = 3.0) -> tcpw.TcpRepr:
        return self.expect(data, timeout=timeout, seq=self.rcv_nxt)

    def ack(self) -> None:
        self.send(flags="A")

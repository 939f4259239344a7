"""The common TCP frame, read in place: an untagged Ethernet frame to our MAC (RFC 894) holding
an IPv4 datagram without options, not a fragment (RFC 791 3.1), holding a TCP segment with no
options or with exactly NOP, NOP, Timestamps (RFC 7323 appendix A: the layout Linux sends).

Most frames of a data path are such frames. `receive` reads the Ethernet, IPv4 and TCP
headers' fields in one unpack and applies the checks of ethernet.receive, ipv4.receive and
tcp.receive in their order, recording the same decisions, then offers the segment to header
prediction (tcp/fast_path.py) before the full TCP input. Any other frame, and any frame that
fails one of the first checks below (which record nothing), goes to ethernet.receive, which
decides it by the general rules. Speed shaped this room: one call and one unpack instead of
a call per layer, each reading its own header (the equivalence of both ways is
tests/unit/refstack/test_fast_path_equivalence.py's)."""

from __future__ import annotations

import struct

from reference_stack.iface import ethernet
from reference_stack.iface.ipv4 import tcp_pair
from reference_stack.iface.state import IfaceState, Output
from reference_stack.tcp import fast_path
from reference_stack.trace import DROP, Trace
from reference_stack.wire.checksum import word_sum
from reference_stack.wire.tcp import TcpRepr

# Destination MAC, ethertype (RFC 894); the IPv4 version/IHL, total length, flags/fragment
# offset, protocol, source, destination (RFC 791 3.1); the TCP header's fields (RFC 9293
# 3.1): ports, seq, ack, data offset, flags, window, checksum, urgent pointer ...
_NO_OPTIONS = struct.Struct("!6s6xHBxH2xHxB2x4s4sHHIIBBHHH")  # 54 octets
# ... and for the timestamps layout, its option kinds, TSval and TSecr (66 octets)
_TIMESTAMPS = struct.Struct("!6s6xHBxH2xHxB2x4s4sHHIIBBHHHIII")
_TS_KINDS = 0x0101080A  # NOP, NOP, kind 8, length 10 (as wire.tcp.common_fields)
_ETH_P_IP = 0x0800
_IPPROTO_TCP = 6
RULE_CHECKSUM = "RFC9293-3.1-MUST-checksum"


def receive(st: IfaceState, frame: bytes, now: float, trace: Trace, out: Output) -> None:
    """Receive a frame (the interface's entry point, Interface.receive)."""
    size = len(frame)
    # The TCP data offset octet (frame octet 46) picks the layout: 5 words, or 8 (timestamps).
    if type(frame) is bytes and size >= 66 and frame[46] == 0x80 and st.tcp_fast_path:
        (mac, ethertype, version_ihl, total_length, frag, protocol, src, dst, src_port,
         dst_port, seq, ack, _, flags, window, _, urgent, kinds, tsval,
         tsecr) = _TIMESTAMPS.unpack_from(frame)
        if kinds != _TS_KINDS or total_length < 52:  # (the option inside the datagram)
            ethernet.receive(st, frame, now, trace, out)
            return
        header_len = 32
        ts: tuple[int, int] | None = (tsval, tsecr)
    elif type(frame) is bytes and size >= 54 and frame[46] == 0x50 and st.tcp_fast_path:
        (mac, ethertype, version_ihl, total_length, frag, protocol, src, dst, src_port,
         dst_port, seq, ack, _, flags, window, _, urgent) = _NO_OPTIONS.unpack_from(frame)
        if total_length < 40:
            ethernet.receive(st, frame, now, trace, out)
            return
        header_len = 20
        ts = None
    else:
        ethernet.receive(st, frame, now, trace, out)
        return
    # ethernet.receive: our MAC, IPv4 (RFC 894); ipv4.receive's first checks, in validate()'s
    # order: version 4, IHL 5 (no options), the total length (RFC 1812 5.2.2), the header
    # checksum (RFC 1122 3.2.1.2: its 20 octets sum to 0xFFFF), and not a fragment (MF and
    # offset zero); carrying TCP.
    if (mac != st.mac or ethertype != _ETH_P_IP or version_ihl != 0x45
            or protocol != _IPPROTO_TCP or frag & 0x3FFF or total_length > size - 14
            or int.from_bytes(frame[14:34], "big") % 0xFFFF):
        ethernet.receive(st, frame, now, trace, out)
        return
    records = trace.records
    records.append(ethernet.ACCEPT_IPV4)
    # The address checks (RFC 1122 3.2.1.3), whose verdict is the pair's (ipv4.tcp_pair).
    pair = st.tcp_pairs.get((src, dst))
    if pair is None:
        pair = tcp_pair(st, src, dst)
    records.append(pair[1])
    if not pair[0]:
        return
    # tcp.receive: the checksum (RFC 9293 3.1: pseudo-header, header and data; verify()
    # inline, the sum is never zero: the pseudo-header holds the protocol), then broadcast
    # and multicast destinations discarded (RFC 1122 4.2.3.10).
    segment = frame[34:14 + total_length]
    if ((word_sum(segment) + pair[2] + total_length - 20) % 0xFFFF
            and not st.profile.breaks(RULE_CHECKSUM)):
        records.append(("tcp", DROP, RULE_CHECKSUM, "bad checksum"))
        return
    if pair[3]:
        records.append(("tcp", DROP, "RFC1122-4.2.3.10-MUST-discard-broadcast", ""))
        return
    if not fast_path.segment_arrives(st.tcp, src, dst, segment, now, src_port, dst_port, seq,
                                     ack, flags, window, urgent, header_len, ts):
        st.tcp.input(src, dst, TcpRepr.parse(segment), now)

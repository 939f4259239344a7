"""UDP input and output (RFC 768, RFC 1122 4.1): validation, delivery to a bound socket or
Port Unreachable, and datagrams sent."""

from __future__ import annotations

from reference_stack.iface.icmp_error import send_error
from reference_stack.iface.ipv4_output import send_ip
from reference_stack.iface.state import IfaceState, Output
from reference_stack.iface.udp_sockets import UdpEndpoint
from reference_stack.trace import ACCEPT, DELIVER, DROP, REPLY, Trace
from reference_stack.wire.errors import WireError
from reference_stack.wire.icmpv4 import ICMP_DEST_UNREACH, ICMP_PORT_UNREACH
from reference_stack.wire.ipv4 import IPPROTO_UDP, Ipv4Repr
from reference_stack.wire.udp import UdpRepr

HEADER = 8


def validate(udp: UdpRepr, ip_payload_len: int, src: bytes, dst: bytes,
             trace: Trace, check_checksum: bool) -> bytes | None:
    """The datagram's data, or None (dropped, with the rule in the trace)."""
    if udp.length is None or udp.length < HEADER or udp.length > ip_payload_len:
        trace.add("udp", DROP, "RFC768-MUST-length", f"length field {udp.length}, "
                  f"IP payload {ip_payload_len}")
        return None
    if check_checksum and udp.checksum and not udp.checksum_ok(src, dst):
        # RFC 1122 4.1.3.4: a datagram with a bad checksum MUST be silently discarded;
        # a zero checksum means none was computed (RFC 768).
        trace.add("udp", DROP, "RFC1122-4.1.3.4-MUST-discard-bad-checksum")
        return None
    if not udp.checksum:
        trace.add("udp", ACCEPT, "RFC768-MAY-zero-checksum", "no checksum transmitted")
    return udp.payload[:udp.length - HEADER]


def receive(st: IfaceState, ip: Ipv4Repr, original: bytes, link_bcast: bool, now: float,
            trace: Trace, out: Output) -> None:
    try:
        dgram = UdpRepr.parse(ip.payload)
    except WireError as e:
        trace.add("udp", DROP, "RFC768-MUST-header", e.reason)
        return
    profile = st.profile
    data = validate(dgram, len(ip.payload), ip.src, ip.dst, trace,
                    not profile.breaks("RFC1122-4.1.3.4-MUST-discard-bad-checksum"))
    if data is None:
        return
    ep = st.udp.lookup(ip.dst, dgram.dst_port)
    if ep is None:
        trace.add("udp", DROP, "RFC1122-4.1.3.1-SHOULD-port-unreachable",
                  f"no socket on port {dgram.dst_port}")
        if (profile.icmp_quote_udp_length and dgram.length is not None
                and dgram.length < len(ip.payload)):
            # Linux __udp4_lib_rcv trims the datagram to the UDP length before the lookup
            # (pskb_trim_rcsum): the error quotes the trimmed datagram (RFC 1812 4.3.2.3
            # asks for as much of the original as fits; Linux's original is the trimmed).
            original = original[:len(original) - len(ip.payload) + dgram.length]
        send_error(st, ip, original, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, link_bcast, now,
                   trace, out)
        return
    deliver(ep, ip.src, dgram.src_port, data, trace)


def deliver(ep: UdpEndpoint, src: bytes, src_port: int, data: bytes, trace: Trace) -> None:
    """A datagram to a bound socket (either family)."""
    if ep.connected is not None and ep.connected != (src, src_port):
        trace.add("udp", DROP, "RFC1122-4.1.3.5-MAY-connected-filter")
        return
    if ep.deliver(src, src_port, data):
        trace.add("udp", DELIVER, "RFC768-MUST-deliver", f"{len(data)} bytes")
    else:
        trace.add("udp", DROP, "RFC1122-4.1.3.5-MAY-receive-buffer-full")


def send(st: IfaceState, src_port: int, dst: bytes, dst_port: int, data: bytes, now: float,
         trace: Trace, out: Output) -> None:
    dgram = UdpRepr(src_port, dst_port, data)
    rule = "RFC768-MUST-send"
    trace.add("udp", REPLY, rule, f"{len(data)} bytes to port {dst_port}")
    send_ip(st, dst, IPPROTO_UDP, dgram.emit(st.ip, dst), rule, {}, now, trace, out,
            df=st.profile.udp_df)

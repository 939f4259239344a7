"""The interface: frames in, through Ethernet/ARP/IPv4 to ICMP, UDP and TCP; frames out, each
with its prediction (RFC 894 framing, RFC 1122 3.3.1 next hop on the local network)."""

from __future__ import annotations

import errno
import random
from collections.abc import Callable

from reference_stack.clock import earliest
from reference_stack.iface import icmp, ip_options, ipv4_input
from reference_stack.iface import udp as udp_mod
from reference_stack.iface.addressing import Addressing
from reference_stack.iface.arp import BROADCAST_MAC, ArpCache
from reference_stack.iface.reassembly import Reassembler
from reference_stack.profiles import Profile
from reference_stack.tcp import fast_path
from reference_stack.tcp.layer import TcpLayer
from reference_stack.tcp.output import OutSegment
from reference_stack.tcp.state import State
from reference_stack.trace import ACCEPT, DELIVER, DROP, EVENT, REPLY, Trace
from reference_stack.variance import AnyValue, Prediction, Range
from reference_stack.wire.arp import ArpRepr
from reference_stack.wire.checksum import internet_checksum, pseudo_header_sum
from reference_stack.wire.errors import WireError
from reference_stack.wire.ethernet import ETH_P_ARP, ETH_P_IP, EthernetRepr
from reference_stack.wire.icmpv4 import (
    ICMP_DEST_UNREACH,
    ICMP_EXC_FRAGTIME,
    ICMP_PARAM_PROBLEM,
    ICMP_PORT_UNREACH,
    ICMP_PROT_UNREACH,
    ICMP_TIME_EXCEEDED,
    ICMP_TIMESTAMP,
    Icmpv4Repr,
)
from reference_stack.wire.ipv4 import (
    IPPROTO_ICMP,
    IPPROTO_TCP,
    IPPROTO_UDP,
    Ipv4Header,
    Ipv4Repr,
    Ipv4Template,
)
from reference_stack.wire.ipv4_options import emit_ipv4_options
from reference_stack.wire.tcp import TcpRepr, common_fields
from reference_stack.wire.udp import UdpRepr

Output = list[tuple[bytes, Prediction]]
IPPROTO_IGMP = 2  # RFC 1112
HARD_UNREACH_ERRNO = {ICMP_PROT_UNREACH: errno.ENOPROTOOPT, ICMP_PORT_UNREACH: errno.ECONNREFUSED}
# The other Destination Unreachable codes (soft errors, RFC 1122 4.2.3.9) and the errno Linux's
# icmp_err_convert gives them (code 4, fragmentation needed, is path MTU discovery's).
SOFT_UNREACH_ERRNO = {0: errno.ENETUNREACH, 1: errno.EHOSTUNREACH, 5: errno.EOPNOTSUPP,
                      6: errno.ENETUNREACH, 7: errno.EHOSTDOWN, 8: errno.ENONET,
                      9: errno.ENETUNREACH, 10: errno.EHOSTUNREACH, 11: errno.ENETUNREACH,
                      12: errno.EHOSTUNREACH, 13: errno.EHOSTUNREACH, 14: errno.EHOSTUNREACH,
                      15: errno.EHOSTUNREACH}
PENDING_LIMIT = 3  # RFC 1122 2.3.2.2: SHOULD keep at least one packet awaiting ARP
ARP_RETRY_INTERVAL = 1.0  # RFC 1122 2.3.2.1: at most one request a second per destination
ARP_TRIES = 3  # Linux mcast_solicit
_ETHERTYPE_IP = ETH_P_IP.to_bytes(2, "big")
IP_TEMPLATES = 64  # headers of recent (source, destination, protocol, ...) kept precomputed


def _with_ip_variance(ip_variance: dict, variance: dict | Callable[[], dict]) -> dict:
    """A datagram's variance: the IP layer's, then its transport's (send_ip)."""
    return {**ip_variance, **(variance() if callable(variance) else variance)}


class Interface:
    def __init__(self, profile: Profile, mac: bytes, ip: bytes, prefix_len: int,
                 rng: random.Random, tcp: TcpLayer, udp: udp_mod.UdpLayer,
                 tcp_fast_path: bool = True) -> None:
        self.profile = profile
        self.mac = mac
        self.ip = ip
        self.rng = rng
        self.addr = Addressing(ip, prefix_len)
        self.arp = ArpCache(mac, ip)
        self.reasm = Reassembler(profile)
        self.tcp = tcp
        self.udp = udp
        # Header prediction (tcp/fast_path.py); off only to check it against the full path.
        self.tcp_fast_path = tcp_fast_path
        # Precomputed IPv4 headers of recent destinations (send_ip), keyed by what they fix.
        self._ip_templates: dict[tuple, Ipv4Template] = {}
        self.gateway: bytes | None = None
        self.pending: dict[bytes, list[tuple[Ipv4Repr, str, dict]]] = {}
        self.arp_retry: dict[bytes, tuple[float, int]] = {}  # next hop -> (deadline, tries)
        self.now = 0.0  # the current entry point's `now`, set by the stack
        strict = not profile.exact_choices
        # IP-level latitude (RFC 6864: the ident of an atomic datagram is free; RFC 1122
        # 3.2.1.7: any non-zero TTL; RFC 1191: DF is the sender's choice).
        self.ip_variance: dict = {"ipv4.ident": AnyValue()}
        if strict:
            self.ip_variance.update({"ipv4.ttl": Range(1, 255), "ipv4.df": AnyValue()})

    # -- input -----------------------------------------------------------------------------

    def receive(self, frame: bytes, now: float, trace: Trace, out: Output) -> None:
        if type(frame) is bytes and frame[12:14] == _ETHERTYPE_IP:
            # The common frame, untagged IPv4 (RFC 894), read in place: the same decisions as
            # the general path below, without building an EthernetRepr.
            dst = frame[0:6]
            if not self.addr.for_us_link(dst, self.mac):
                trace.add("ethernet", DROP, "IEEE802.3-4.2.4.1.2-MUST-dst-filter", "not our MAC")
                return
            trace.add("ethernet", ACCEPT, "RFC894-MUST-ethertype-ipv4")
            self._ipv4_input(dst, frame[14:], now, trace, out)
            return
        try:
            eth = EthernetRepr.parse(frame)
        except WireError as e:
            trace.add("ethernet", DROP, "IEEE802.3-3.1-MUST-frame-header", e.reason)
            return
        if not self.addr.for_us_link(eth.dst, self.mac):
            trace.add("ethernet", DROP, "IEEE802.3-4.2.4.1.2-MUST-dst-filter", "not our MAC")
            return
        if eth.vlans:
            trace.add("ethernet", DROP, "IEEE802.1Q-6.9-MUST-vlan-not-member", "tagged frame")
            return
        if eth.ethertype == ETH_P_ARP:
            trace.add("ethernet", ACCEPT, "RFC826-MUST-ethertype-arp")
            self._arp_input(eth, now, trace, out)
        elif eth.ethertype == ETH_P_IP:
            trace.add("ethernet", ACCEPT, "RFC894-MUST-ethertype-ipv4")
            self._ipv4_input(eth.dst, eth.payload, now, trace, out)
        else:
            trace.add("ethernet", DROP, "RFC894-MUST-ethertype-unknown",
                      f"ethertype {eth.ethertype:#06x}")

    def _arp_input(self, eth: EthernetRepr, now: float, trace: Trace, out: Output) -> None:
        try:
            arp = ArpRepr.parse(eth.payload)
        except WireError as e:
            trace.add("arp", DROP, "RFC826-MUST-packet-format", e.reason)
            return
        # A resolution in progress is Linux's INCOMPLETE neighbour: its reply is solicited.
        reply = self.arp.receive(arp, now, trace,
                                 self.profile.arp_accept or arp.spa in self.pending)
        if reply is not None:
            self.emit_eth(reply.tha, ETH_P_ARP, reply.emit(), "RFC826-MUST-reply", {}, out)
        waiting = self.pending.pop(arp.spa, None) if self.arp.lookup(arp.spa) else None
        if waiting is not None:
            self.arp_retry.pop(arp.spa, None)
        for ip, rule, variance in waiting or ():
            self._emit_ip(ip, arp.spa, rule, variance, out, trace)

    def _ipv4_input(self, link_dst: bytes, raw: bytes, now: float, trace: Trace,
                    out: Output) -> None:
        if len(raw) >= 20 and raw[0] == 0x45 and raw[9] == IPPROTO_TCP and not (
                raw[6] & 0x3F or raw[7]):
            # The common datagram: version 4 with IHL 5 (no options), not a fragment (MF and
            # offset zero), carrying TCP. It is validated by the same rules on its header
            # fields read in one unpack (Ipv4Header) instead of a parsed Ipv4Repr; nothing
            # else below applies to it.
            ip = Ipv4Header(raw)
            ok, rule, detail = ipv4_input.validate(ip, raw, self.addr, self.profile)
            trace.add("ipv4", ACCEPT if ok else DROP, rule, detail)
            if ok:
                self._tcp_input(ip.src, ip.dst, ip.payload, now, trace)
            return
        try:
            ip = Ipv4Repr.parse(raw)
        except WireError as e:
            trace.add("ipv4", DROP, "RFC791-3.1-MUST-header-length", e.reason)
            return
        ok, rule, detail = ipv4_input.validate(ip, raw, self.addr, self.profile)
        trace.add("ipv4", ACCEPT if ok else DROP, rule, detail)
        if not ok:
            return
        original = raw[:ip.total_length]
        link_bcast = link_dst[0] & 1 == 1  # broadcast or multicast link destination
        if ip.options:
            verdict, rule, pointer = ip_options.check(ip, self.profile)
            trace.add("ipv4", ACCEPT if verdict == "ok" else DROP, rule)
            if verdict == "param":
                self.icmp_error(ip, original, ICMP_PARAM_PROBLEM, 0, link_bcast, trace, out,
                                pointer=pointer)
            if verdict != "ok":
                return
        if ip.mf or ip.frag_offset:
            whole = self.reasm.add(ip, now, trace)
            if whole is None:
                return
            ip = whole
            original = ip.emit()
        if ip.protocol == IPPROTO_TCP:
            self._tcp_input(ip.src, ip.dst, ip.payload, now, trace)
        elif ip.protocol == IPPROTO_UDP:
            self._udp_input(ip, original, link_bcast, trace, out)
        elif ip.protocol == IPPROTO_ICMP:
            self._icmp_input(ip, link_bcast, trace, out)
        elif ip.protocol == IPPROTO_IGMP and self.profile.igmp_host:
            # RFC 1112 (level 2) / RFC 2236 host: IGMP is a protocol this host speaks, so no
            # Protocol Unreachable (RFC 1122 3.2.2.1). Linux's igmp_rcv drops what it cannot
            # parse and answers a query only for groups joined other than all-hosts
            # (RFC 2236 6): none here.
            trace.add("ipv4", DROP, "LINUX-igmp_rcv", "IGMP: no group joined to report")
        else:
            trace.add("ipv4", DROP, "RFC1122-3.2.2.1-SHOULD-protocol-unreachable",
                      f"protocol {ip.protocol}")
            self.icmp_error(ip, original, ICMP_DEST_UNREACH, ICMP_PROT_UNREACH, link_bcast,
                            trace, out)

    # -- ICMP ------------------------------------------------------------------------------

    def _icmp_input(self, ip: Ipv4Repr, link_bcast: bool, trace: Trace, out: Output) -> None:
        try:
            msg = Icmpv4Repr.parse(ip.payload)
        except WireError as e:
            trace.add("icmp", DROP, "RFC792-MUST-message-format", e.reason)
            return
        if not msg.checksum_ok():
            trace.add("icmp", DROP, "RFC792-MUST-checksum", "bad ICMP checksum")
            return
        if icmp.is_echo_request(msg):
            if (self.addr.is_broadcast(ip.dst) or self.addr.is_multicast(ip.dst)
                    or link_bcast) and \
                    self.profile.echo_ignore_broadcasts:
                trace.add("icmp", DROP, "RFC1122-3.2.2.6-MAY-ignore-broadcast-echo")
                return
            # RFC 1122 3.2.2.6: the reply's source is the request's specific destination,
            # or one of our addresses when the request went to a broadcast address.
            if (ip.options and self.profile.ip_options_compile
                    and ip_options.echo_refused(ip)):
                trace.add("icmp", DROP, "LINUX-ip_options_echo", "options cannot be echoed")
                return
            reply = icmp.echo_reply(msg)
            trace.add("icmp", REPLY, "RFC1122-3.2.2.6-MUST-echo-reply")
            options = ip_options.echo_options(ip, self.ip, self.now) if ip.options else ()
            # Recorded routes and timestamps are the host's own (RFC 791 3.1): any values.
            variance = {"ipv4.options": AnyValue()} if options else {}
            self.send_ip(ip.src, IPPROTO_ICMP, reply.emit(), "RFC1122-3.2.2.6-MUST-echo-reply",
                         variance, out, trace, tos=ip.tos, df=self.profile.icmp_df,
                         options=options)
            return
        if msg.type == ICMP_TIMESTAMP and self.profile.icmp_timestamp_reply:
            self._timestamp_input(ip, msg, link_bcast, trace, out)
            return
        if msg.type in icmp.ERROR_TYPES:
            self._icmp_error_input(msg, trace)
            return
        trace.add("icmp", DROP, "RFC1122-3.2.2-MUST-silently-discard-unknown",
                  f"type {msg.type}")

    def _timestamp_input(self, ip: Ipv4Repr, msg: Icmpv4Repr, link_bcast: bool, trace: Trace,
                         out: Output) -> None:
        """RFC 1122 3.2.2.8 (MAY implement; Linux icmp_timestamp does): a Timestamp Reply
        with the request's options echoed like an echo reply's; to a broadcast it MAY be
        discarded, as Linux does with icmp_echo_ignore_broadcasts."""
        rule = "RFC1122-3.2.2.8-MAY-timestamp-reply"
        if (self.addr.is_broadcast(ip.dst) or self.addr.is_multicast(ip.dst)
                or link_bcast) and self.profile.echo_ignore_broadcasts:
            trace.add("icmp", DROP, rule, "timestamp request to a broadcast address")
            return
        reply = icmp.timestamp_reply(msg, self.now)
        if reply is None:
            trace.add("icmp", DROP, rule, "fewer than 4 data octets")
            return
        if ip.options and ip_options.echo_refused(ip):
            trace.add("icmp", DROP, "LINUX-ip_options_echo", "options cannot be echoed")
            return
        trace.add("icmp", REPLY, rule)
        options = ip_options.echo_options(ip, self.ip, self.now) if ip.options else ()
        # Receive and transmit timestamps are the host's clock (RFC 792): any value.
        variance = {"icmpv4.payload": AnyValue()}
        if options:
            variance["ipv4.options"] = AnyValue()
        self.send_ip(ip.src, IPPROTO_ICMP, reply.emit(), rule, variance, out, trace, tos=ip.tos,
                     df=self.profile.icmp_df, options=options)

    def _icmp_error_input(self, msg: Icmpv4Repr, trace: Trace) -> None:
        """RFC 1122 3.2.2.1, 4.1.3.3, 4.2.3.9: pass the error to the transport it quotes."""
        try:
            inner = Ipv4Repr.parse(msg.payload)
        except WireError:
            trace.add("icmp", DROP, "RFC1122-3.2.2-MUST-quoted-header", "quote unreadable")
            return
        l4 = inner.payload
        if len(l4) < 4 or inner.src != self.ip:
            trace.add("icmp", DROP, "RFC1122-3.2.2-MUST-quoted-header", "not about our datagram")
            return
        sport, dport = int.from_bytes(l4[0:2], "big"), int.from_bytes(l4[2:4], "big")
        # RFC 1122 4.2.3.9: protocol and port unreachable are hard errors (errno as Linux's
        # icmp_err_convert: ENOPROTOOPT, ECONNREFUSED).
        hard_errno = HARD_UNREACH_ERRNO.get(msg.code) if msg.type == ICMP_DEST_UNREACH else None
        hard = hard_errno is not None
        if inner.protocol == IPPROTO_TCP:
            tcb = self.tcp.conns.get((self.ip, sport, inner.dst, dport))
            if tcb is not None and hard and tcb.state is State.SYN_SENT:
                trace.add("tcp", EVENT, "RFC1122-4.2.3.9-SHOULD-abort-on-hard-error",
                          "destination unreachable in SYN-SENT")
                tcb.error = hard_errno
                self.tcp.delete(tcb)
                return
            soft_errno = SOFT_UNREACH_ERRNO.get(msg.code) if msg.type == ICMP_DEST_UNREACH else None
            if (tcb is not None and soft_errno is not None and tcb.state is State.SYN_SENT
                    and self.profile.syn_sent_aborts_on_soft_error):
                # RFC 1122 4.2.3.9 says a soft error MUST NOT abort; Linux tcp_v4_err ends a
                # connection attempt on any unreachable quoting the SYN (RFC 5461 4).
                trace.add("tcp", EVENT, "LINUX-tcp_v4_err-syn-sent-abort",
                          f"soft error (code {msg.code}) in SYN-SENT")
                tcb.error = soft_errno
                self.tcp.delete(tcb)
                return
            trace.add("tcp", EVENT, "RFC1122-4.2.3.9-MUST-soft-error",
                      f"ICMP type {msg.type} code {msg.code}")
        elif inner.protocol == IPPROTO_UDP:
            ep = self.udp.lookup(self.ip, sport)
            if ep is not None and hard and ep.connected == (inner.dst, dport):
                ep.error = hard_errno
            trace.add("udp", EVENT, "RFC1122-4.1.3.3-MUST-pass-icmp-to-application",
                      f"ICMP type {msg.type} code {msg.code}")
        else:
            trace.add("icmp", EVENT, "RFC1122-3.2.2-MUST-pass-to-transport")

    def icmp_error(self, original: Ipv4Repr, original_bytes: bytes, icmp_type: int, code: int,
                   link_bcast: bool, trace: Trace, out: Output, pointer: int = 0) -> None:
        linux_options = self.profile.icmp_error_echo_options
        forbidden = icmp.error_forbidden(original, link_bcast, self.addr, linux_options)
        if forbidden is not None:
            trace.add("icmp", DROP, forbidden, "no ICMP error")
            return
        # Linux icmp_send echoes the datagram's options (ip_options_echo: record route and
        # timestamp, updated with this host, RFC 791 3.1), room for the quote shrinking; of
        # a datagram whose options failed to compile, only those before the fault.
        echoed = (ip_options.options_before(original, pointer)
                  if icmp_type == ICMP_PARAM_PROBLEM else original)
        if linux_options and echoed.options and ip_options.echo_refused(echoed):
            trace.add("icmp", DROP, "LINUX-ip_options_echo", "options cannot be echoed")
            return
        options = (ip_options.echo_options(echoed, self.ip, self.now)
                   if echoed.options and linux_options else ())
        options_len = len(Ipv4Repr(self.ip, original.src, IPPROTO_ICMP,
                                   options=options).emit()) - 20 if options else 0
        quoted = icmp.quote(original_bytes, self.profile, options_len)
        if icmp_type == ICMP_TIME_EXCEEDED:
            msg = Icmpv4Repr.time_exceeded(code, quoted)
            rule = "RFC1122-3.3.2-SHOULD-time-exceeded-reassembly"
        elif icmp_type == ICMP_PARAM_PROBLEM:
            msg = Icmpv4Repr.param_problem(pointer, quoted)
            rule = "RFC1122-3.2.2.5-SHOULD-parameter-problem"
        else:
            msg = Icmpv4Repr.dest_unreachable(code, quoted)
            rule = ("RFC1122-4.1.3.1-SHOULD-port-unreachable" if code == ICMP_PORT_UNREACH
                    else "RFC1122-3.2.2.1-SHOULD-protocol-unreachable")
        if self.profile.breaks(rule):
            return
        variance = icmp.quote_variance(original_bytes, len(original_bytes) -
                                       len(original.payload), self.profile, options_len)
        if not self.profile.exact_choices:
            variance["ipv4.tos"] = AnyValue()
        if options:
            # Our recorded address and clock in the echoed options and, where the option area
            # was written on receipt (ip_options_compile's is_changed), in the quote as well.
            variance["ipv4.options"] = AnyValue()
            if ip_options.changes_on_receipt(emit_ipv4_options(original.options)):
                variance["icmpv4.payload"] = AnyValue()
        trace.add("icmp", REPLY, rule, f"type {icmp_type} code {code}")
        self.send_ip(original.src, IPPROTO_ICMP, msg.emit(), rule, variance, out, trace,
                     tos=icmp.error_tos(original), df=self.profile.icmp_df, options=options)

    def expire_reassembly(self, now: float, trace: Trace, out: Output) -> None:
        for first in self.reasm.expire(now, trace):
            self.icmp_error(first, first.emit(), ICMP_TIME_EXCEEDED, ICMP_EXC_FRAGTIME, False,
                            trace, out)

    # -- UDP -------------------------------------------------------------------------------

    def _udp_input(self, ip: Ipv4Repr, original: bytes, link_bcast: bool, trace: Trace,
                   out: Output) -> None:
        try:
            dgram = UdpRepr.parse(ip.payload)
        except WireError as e:
            trace.add("udp", DROP, "RFC768-MUST-header", e.reason)
            return
        rule = "RFC1122-4.1.3.4-MUST-discard-bad-checksum"
        data = udp_mod.validate(dgram, len(ip.payload), ip.src, ip.dst, trace,
                                not self.profile.breaks(rule))
        if data is None:
            return
        ep = self.udp.lookup(ip.dst, dgram.dst_port)
        if ep is None:
            trace.add("udp", DROP, "RFC1122-4.1.3.1-SHOULD-port-unreachable",
                      f"no socket on port {dgram.dst_port}")
            if (self.profile.icmp_quote_udp_length and dgram.length is not None
                    and dgram.length < len(ip.payload)):
                # Linux __udp4_lib_rcv trims the datagram to the UDP length before the lookup
                # (pskb_trim_rcsum): the error quotes the trimmed datagram (RFC 1812 4.3.2.3
                # asks for as much of the original as fits; Linux's original is the trimmed).
                original = original[:len(original) - len(ip.payload) + dgram.length]
            self.icmp_error(ip, original, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, link_bcast,
                            trace, out)
            return
        if ep.connected is not None and ep.connected != (ip.src, dgram.src_port):
            trace.add("udp", DROP, "RFC1122-4.1.3.5-MAY-connected-filter")
            return
        if ep.deliver(ip.src, dgram.src_port, data):
            trace.add("udp", DELIVER, "RFC768-MUST-deliver", f"{len(data)} bytes")
        else:
            trace.add("udp", DROP, "RFC1122-4.1.3.5-MAY-receive-buffer-full")

    def send_udp(self, src_port: int, dst: bytes, dst_port: int, data: bytes, trace: Trace,
                 out: Output, variance: dict | None = None) -> None:
        dgram = UdpRepr(src_port, dst_port, data)
        rule = "RFC768-MUST-send"
        trace.add("udp", REPLY, rule, f"{len(data)} bytes to port {dst_port}")
        self.send_ip(dst, IPPROTO_UDP, dgram.emit(self.ip, dst), rule, variance or {}, out,
                     trace, df=self.profile.udp_df)

    # -- TCP -------------------------------------------------------------------------------

    def _tcp_input(self, src: bytes, dst: bytes, payload: bytes, now: float,
                   trace: Trace) -> None:
        # A segment in a common layout is read in place and offered to the fast path
        # (tcp/fast_path.py) before any TcpRepr is built; the checks below are the same.
        fields = common_fields(payload) if self.tcp_fast_path else None
        seg = None
        if fields is None:
            try:
                seg = TcpRepr.parse(payload)
            except WireError as e:
                trace.add("tcp", DROP, "RFC9293-3.1-MUST-header", e.reason)
                return
            if seg.data_offset is None or seg.data_offset < 5 or seg.data_offset * 4 > len(
                    payload):
                trace.add("tcp", DROP, "RFC9293-3.1-MUST-data-offset", f"{seg.data_offset}")
                return
        rule = "RFC9293-3.1-MUST-checksum"
        # Verified on the received octets (RFC 9293 3.1: pseudo-header, header and data).
        if (internet_checksum(payload, pseudo_header_sum(src, dst, IPPROTO_TCP,
                                                         len(payload))) != 0
                and not self.profile.breaks(rule)):
            trace.add("tcp", DROP, rule, "bad checksum")
            return
        if self.addr.is_broadcast(dst) or self.addr.is_multicast(dst):
            trace.add("tcp", DROP, "RFC1122-4.2.3.10-MUST-discard-broadcast")
            return
        if seg is None:
            if fast_path.segment_arrives(self.tcp, src, dst, fields, payload, now):
                return
            seg = TcpRepr.parse(payload)
        self.tcp.input(src, dst, seg, now)

    def send_tcp(self, segs: list[OutSegment], trace: Trace, out: Output) -> None:
        df = self.profile.tcp_df
        for s in segs:
            wire = s.wire
            if wire is None:
                wire = s.tcp.emit(s.src, s.dst)
            self.send_ip(s.dst, IPPROTO_TCP, wire, s.rule, s.variance, out, trace, 0, df)

    # -- output ----------------------------------------------------------------------------

    def send_ip(self, dst: bytes, protocol: int, payload: bytes, rule: str,
                variance: dict | Callable[[], dict], out: Output, trace: Trace, tos: int = 0,
                df: bool = True, options: tuple = ()) -> None:
        """`variance`: the transport's, or a function that builds it (tcp/output.py); the
        common datagram's prediction merges it with the IP layer's only when read."""
        ttl = self.profile.ttl
        ident = self.rng.getrandbits(16)
        hop = dst if self.addr.on_link(dst) else self.gateway
        if hop is None:
            trace.add("ipv4", DROP, "RFC1122-3.3.1.1-MUST-no-route", "no route to host")
            return
        mac = self.arp.lookup(hop)
        if mac is not None and not options and len(payload) + 20 <= self.profile.mtu \
                and not self.addr.is_broadcast(dst):
            # The common datagram (resolved next hop, no options, no fragmentation): the
            # bytes _emit_ip would write, in one join (RFC 894 framing, RFC 791 3.1 header).
            key = (self.ip, dst, protocol, ttl, tos, df)
            template = self._ip_templates.get(key)
            if template is None:
                if len(self._ip_templates) >= IP_TEMPLATES:
                    self._ip_templates.clear()
                template = self._ip_templates[key] = Ipv4Template(self.ip, dst, protocol, ttl,
                                                                  tos, df)
            header = template.header(len(payload), ident)
            frame = b"".join((mac, self.mac, _ETHERTYPE_IP, header, payload))
            out.append((frame, Prediction.lazy(frame, rule, _with_ip_variance, self.ip_variance,
                                               variance)))
            return
        if callable(variance):
            variance = variance()
        if self.addr.is_broadcast(dst):
            self._emit_ip(Ipv4Repr(self.ip, dst, protocol, payload, ttl=ttl, tos=tos,
                                   ident=ident, df=df, options=options),
                          None, rule, variance, out, trace)
            return
        ip = Ipv4Repr(self.ip, dst, protocol, payload, ttl=ttl, tos=tos, ident=ident, df=df,
                      options=options)
        if mac is None:
            queue = self.pending.setdefault(hop, [])
            if not queue:
                self._arp_request(hop, 1, trace, out)
            if len(queue) < PENDING_LIMIT:
                queue.append((ip, rule, variance))
            return
        self._emit_ip(ip, hop, rule, variance, out, trace)

    def _arp_request(self, hop: bytes, tries: int, trace: Trace, out: Output) -> None:
        trace.add("arp", REPLY, "RFC826-MUST-request", f"resolve next hop, try {tries}")
        self.emit_eth(BROADCAST_MAC, ETH_P_ARP, self.arp.request_for(hop).emit(),
                      "RFC826-MUST-request", {}, out)
        self.arp_retry[hop] = (self.now + ARP_RETRY_INTERVAL, tries)

    # -- timers ----------------------------------------------------------------------------

    def poll_at(self) -> float | None:
        arp = min((d for d, _ in self.arp_retry.values()), default=None)
        return earliest(arp, self.reasm.poll_at())

    def poll(self, now: float, trace: Trace, out: Output) -> None:
        self.expire_reassembly(now, trace, out)
        for hop, (deadline, tries) in list(self.arp_retry.items()):
            if deadline > now:
                continue
            if tries < ARP_TRIES:
                self._arp_request(hop, tries + 1, trace, out)
            else:
                # RFC 1122 2.3.2.1: give up; the held datagrams are dropped.
                del self.arp_retry[hop]
                dropped = self.pending.pop(hop, [])
                trace.add("arp", DROP, "RFC1122-2.3.2.1-MUST-rate-limit-arp",
                          f"unresolved after {tries} requests, {len(dropped)} dropped")

    def _emit_ip(self, ip: Ipv4Repr, hop: bytes | None, rule: str, variance: dict, out: Output,
                 trace: Trace) -> None:
        mac = BROADCAST_MAC if hop is None else self.arp.lookup(hop)
        merged = {**self.ip_variance, **variance}
        if len(ip.payload) + 20 <= self.profile.mtu:
            self.emit_eth(mac, ETH_P_IP, ip.emit(), rule, merged, out)
            return
        # RFC 791 3.2: fragment; each fragment's data but the last is a multiple of 8.
        chunk = (self.profile.mtu - 20) & ~7
        data = ip.payload
        for off in range(0, len(data), chunk):
            part = data[off:off + chunk]
            more = off + chunk < len(data)
            frag = Ipv4Repr(ip.src, ip.dst, ip.protocol, part, ttl=ip.ttl, tos=ip.tos,
                            ident=ip.ident, df=False, mf=more, frag_offset=off // 8)
            trace.add("ipv4", REPLY, "RFC791-3.2-MUST-fragment", f"offset {off}")
            self.emit_eth(mac, ETH_P_IP, frag.emit(), rule, merged, out)

    def emit_eth(self, dst_mac: bytes, ethertype: int, payload: bytes, rule: str,
                  variance: dict, out: Output) -> None:
        frame = dst_mac + self.mac + ethertype.to_bytes(2, "big") + payload
        out.append((frame, Prediction(frame, rule, variance)))

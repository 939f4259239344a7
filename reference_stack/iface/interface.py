"""The interface's entry points: frames in, through Ethernet/ARP and IPv4 to ICMP, UDP and TCP
(ethernet.py, ipv4.py, icmp.py, udp.py, tcp.py); datagrams out (ipv4_output.py, link.py), each
frame with its prediction; timers (ARP retries, reassembly). Every entry point takes `now`."""

from __future__ import annotations

from reference_stack.clock import earliest
from reference_stack.iface import dad, ipv4, ipv6, link, mld, nud, tcp, tcp_frame, udp, udp6
from reference_stack.iface.arp import BROADCAST_MAC
from reference_stack.iface.state import IfaceState, Output
from reference_stack.trace import REPLY, Trace
from reference_stack.wire.ethernet import ETH_P_ARP


class Interface(IfaceState):
    # Frames in, receive(frame, now, trace, out), and TCP's segments out, send_tcp(segs, now,
    # trace, out): the rooms' functions are the methods themselves (taking the interface as
    # their state), one call fewer on every frame.
    receive = tcp_frame.receive
    send_tcp = tcp.send

    def send_udp(self, src_port: int, dst: bytes, dst_port: int, data: bytes, now: float,
                 trace: Trace, out: Output) -> None:
        if len(dst) == 16:
            udp6.send(self, src_port, dst, dst_port, data, trace, out)
            return
        udp.send(self, src_port, dst, dst_port, data, now, trace, out)

    def announce(self, trace: Trace, out: Output) -> None:
        """A gratuitous ARP for our address (RFC 5227 3)."""
        rule = "RFC5227-3-SHOULD-announce"
        trace.add("arp", REPLY, rule)
        link.emit_eth(self, BROADCAST_MAC, ETH_P_ARP, self.arp.announcement().emit(), rule, {},
                      out)

    def poll_at(self) -> float | None:
        return earliest(link.poll_at(self), self.reasm.poll_at(), self.reasm6.poll_at(),
                        mld.poll_at(self), dad.poll_at(self), nud.poll_at(self))

    def poll(self, now: float, trace: Trace, out: Output) -> None:
        ipv4.expire_reassembly(self, now, trace, out)
        ipv6.expire_reassembly(self, now, trace, out)
        mld.poll(self, now, trace, out)
        dad.poll(self, now, trace, out)
        nud.poll(self, now, trace, out)
        link.poll(self, now, trace, out)

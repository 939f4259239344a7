"""Test helpers: two reference stacks on a virtual link, and a raw-frame tester for one."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from reference_stack.profiles import LINUX, Profile
from reference_stack.socket_api import AF_INET, SOCK_DGRAM, SOCK_STREAM
from reference_stack.stack import CallResult, Reaction, ReferenceStack
from reference_stack.wire.addr import ip4, mac
from reference_stack.wire.ethernet import ETH_P_IP, EthernetRepr
from reference_stack.wire.frame import Dissected, dissect
from reference_stack.wire.ipv4 import IPPROTO_TCP, IPPROTO_UDP, Ipv4Repr
from reference_stack.wire.tcp import (
    TcpOptMss,
    TcpOptSackPermitted,
    TcpOptTimestamps,
    TcpOptWindowScale,
    TcpRepr,
)
from reference_stack.wire.udp import UdpRepr

MAC_A, IP_A = mac("02:00:00:00:00:0a"), ip4("198.18.0.10")
MAC_B, IP_B = mac("02:00:00:00:00:0b"), ip4("198.18.0.11")
PREFIX = 24


def make_stack(profile: Profile = LINUX, which: str = "a", seed: int = 1) -> ReferenceStack:
    if which == "a":
        s = ReferenceStack(profile, MAC_A, IP_A, PREFIX, rng_seed=seed)
        s.add_neighbor(IP_B, MAC_B)
    else:
        s = ReferenceStack(profile, MAC_B, IP_B, PREFIX, rng_seed=seed)
        s.add_neighbor(IP_A, MAC_A)
    return s


class Link:
    """Ferries frames between stacks `a` and `b` on a shared virtual clock.

    `drop` is a predicate (sender name, dissected frame) -> True to lose that frame.
    `log` records every frame put on the wire as (sender name, dissected, now).
    """

    def __init__(self, profile_a: Profile = LINUX, profile_b: Profile | None = None) -> None:
        self.a = make_stack(profile_a, "a", seed=1)
        self.b = make_stack(profile_b or profile_a, "b", seed=2)
        self.now = 0.0
        self.queue: deque[tuple[str, bytes]] = deque()
        self.log: list[tuple[str, Dissected, float]] = []
        self.drop: Callable[[str, Dissected], bool] = lambda who, d: False

    def name(self, stack: ReferenceStack) -> str:
        return "a" if stack is self.a else "b"

    def push(self, who: str, reaction: Reaction) -> None:
        for frame in reaction.frames:
            d = dissect(frame)
            self.log.append((who, d, self.now))
            if not self.drop(who, d):
                self.queue.append((who, frame))

    def call(self, stack: ReferenceStack, method: str, *args) -> CallResult:
        fn = getattr(stack, method)
        needs_now = method in ("connect", "send", "sendto", "recv", "shutdown", "close")
        res = fn(*args, self.now) if needs_now else fn(*args)
        self.push(self.name(stack), res.reaction)
        return res

    def deliver(self, max_frames: int = 10_000) -> None:
        n = 0
        while self.queue and n < max_frames:
            who, frame = self.queue.popleft()
            dst = self.b if who == "a" else self.a
            self.push(self.name(dst), dst.receive(frame, self.now))
            n += 1

    def advance(self, until: float) -> None:
        """Deliver everything, then run timers in order up to `until`."""
        self.deliver()
        while True:
            due = [t for t in (self.a.poll_at(), self.b.poll_at()) if t is not None]
            if not due or min(due) > until:
                break
            self.now = max(self.now, min(due))
            for s in (self.a, self.b):
                self.push(self.name(s), s.poll(self.now))
            self.deliver()
        self.now = max(self.now, until)

    def tcp_log(self, who: str | None = None) -> list[TcpRepr]:
        return [d.tcp for w, d, _ in self.log if d.tcp is not None and (who is None or w == who)]


def connected_pair(profile: Profile = LINUX, port: int = 8080,
                   profile_b: Profile | None = None) -> tuple[Link, int, int, int]:
    """A link with `b` listening on `port` and `a` connected: (link, a_fd, b_listen_fd, b_fd)."""
    link = Link(profile, profile_b)
    lfd = link.call(link.b, "socket", AF_INET, SOCK_STREAM).value
    link.call(link.b, "bind", lfd, ("0.0.0.0", port))
    link.call(link.b, "listen", lfd, 8)
    afd = link.call(link.a, "socket", AF_INET, SOCK_STREAM).value
    link.call(link.a, "connect", afd, ("198.18.0.11", port))
    link.deliver()
    acc = link.call(link.b, "accept", lfd)
    assert acc.ok, acc
    return link, afd, lfd, acc.value[0]


def udp_socket(stack: ReferenceStack, port: int) -> int:
    fd = stack.socket(AF_INET, SOCK_DGRAM).value
    assert stack.bind(fd, ("0.0.0.0", port)).ok
    return fd


class RawPeer:
    """Crafts frames from the tester (B's addresses) to one stack, as a suite would."""

    def __init__(self, stack: ReferenceStack, src_ip: bytes = IP_B, src_mac: bytes = MAC_B,
                 ) -> None:
        self.stack = stack
        self.src_ip = src_ip
        self.src_mac = src_mac
        self.now = 0.0

    def ip_frame(self, protocol: int, l4: bytes, dst: bytes | None = None, **ip) -> bytes:
        pkt = Ipv4Repr(self.src_ip, dst or self.stack.ip, protocol, l4, **ip).emit()
        return EthernetRepr(self.stack.mac, self.src_mac, ETH_P_IP, payload=pkt).emit()

    def tcp(self, sport: int, dport: int, flags: int, seq: int = 0, ack: int = 0,
            payload: bytes = b"", window: int = 65535, options: tuple = (), urgent: int = 0,
            **ip) -> bytes:
        seg = TcpRepr(sport, dport, seq=seq, ack=ack, flags=flags, window=window,
                      payload=payload, options=options, urgent=urgent)
        return self.ip_frame(IPPROTO_TCP, seg.emit(self.src_ip, self.stack.ip), **ip)

    def udp(self, sport: int, dport: int, payload: bytes, **ip) -> bytes:
        dgram = UdpRepr(sport, dport, payload)
        return self.ip_frame(IPPROTO_UDP, dgram.emit(self.src_ip, self.stack.ip), **ip)

    def send(self, frame: bytes) -> Reaction:
        return self.stack.receive(frame, self.now)


def syn_options(mss: int = 1460, wscale: int | None = 7, ts: tuple[int, int] | None = (100, 0),
                sack: bool = True) -> tuple:
    opts: list = [TcpOptMss(mss)]
    if sack:
        opts.append(TcpOptSackPermitted())
    if ts is not None:
        opts.append(TcpOptTimestamps(*ts))
    if wscale is not None:
        opts.append(TcpOptWindowScale(wscale))
    return tuple(opts)


def tcp_of(reaction: Reaction) -> list[TcpRepr]:
    return [d.tcp for d in (dissect(f) for f in reaction.frames) if d.tcp is not None]


def l4(frame: bytes) -> Dissected:
    return dissect(frame)


def lose_first_data_segment(link) -> tuple[list[int], list[str]]:
    """The first data segment side `a` sends over `link` is dropped, and the rules of every
    reaction from now on are collected: (the lost segment's sequence number once it is
    dropped, the rules), both lists filled as the link runs."""
    lost: list[int] = []
    rules: list[str] = []

    def drop_first_data(who, d):
        if who == "a" and d.tcp and d.tcp.payload and not lost:
            lost.append(d.tcp.seq)
            return True
        return False

    push = link.push

    def spy(who, reaction):
        rules.extend(reaction.rules())
        push(who, reaction)

    link.drop = drop_first_data
    link.push = spy
    return lost, rules

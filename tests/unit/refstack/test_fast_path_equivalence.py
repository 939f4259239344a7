"""Header prediction (reference_stack/tcp/fast_path.py) and the other hot-path shortcuts
(send_ip's header templates) change nothing but speed.

Two stacks, identical but for `tcp_fast_path` and send_ip's cache of headers, get the same
random sequences of segments (in order, out of window, duplicate ACKs, data, window changes,
timestamps old and new, FIN, RST, URG) and socket calls; after every step their frames,
predictions, decision records, socket results and connection state must be identical.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reference_stack.profiles import GVISOR, LINUX, RFC, Profile
from reference_stack.socket_api import AF_INET, MSG_OOB, SOCK_STREAM
from reference_stack.stack import Reaction, ReferenceStack
from reference_stack.tcp import fast_path
from reference_stack.tcp.seq import seq_add, seq_diff
from reference_stack.tcp.tcb import Tcb
from reference_stack.wire.checksum import internet_checksum, pseudo_header_sum
from reference_stack.wire.frame import dissect
from reference_stack.wire.ipv4 import IPPROTO_TCP
from reference_stack.wire.tcp import (
    ACK,
    FIN,
    PSH,
    RST,
    SYN,
    URG,
    TcpOptNop,
    TcpOptSack,
    TcpOptTimestamps,
)
from tests.unit.refstack.harness import IP_A, IP_B, MAC_A, MAC_B, PREFIX, RawPeer, syn_options

PORT, PEER_PORT, PEER_ISS = 80, 40000, 1000
FLAG_CHOICES = (ACK, ACK, ACK | PSH, ACK | PSH, ACK | FIN, ACK | RST, RST, ACK | URG, SYN, 0,
                ACK | PSH | FIN)


class NoTemplates(dict):
    """An IPv4 header cache that keeps nothing: every datagram then takes send_ip's general
    path (iface/ipv4_output.py), which the cached shortcut must match."""

    def __setitem__(self, key: object, value: object) -> None:
        pass


def stack(profile: Profile, fast: bool) -> ReferenceStack:
    s = ReferenceStack(profile, MAC_A, IP_A, PREFIX, rng_seed=7, tcp_fast_path=fast)
    s.add_neighbor(IP_B, MAC_B)
    if not fast:
        s.iface.ip_templates = NoTemplates()
    return s


def tcb_state(tcb: Tcb) -> dict:
    """Everything a TCB holds, buffers and timers included (the listener by identity only)."""
    out = {}
    for f in fields(tcb):
        value = getattr(tcb, f.name)
        if f.name == "listener":
            value = value is not None
        elif f.name == "rto":
            value = tuple(getattr(value, n) for n in type(value).__slots__)
        elif f.name == "send":
            value = (bytes(value.data), value.base, value.capacity)
        elif f.name == "recv":
            value = (bytes(value.ready), list(value.ooo.items()), value.capacity)
        elif f.name == "timers":
            value = dict(value)
        out[f.name] = value
    return out


def observed(r: Reaction) -> tuple:
    return (r.frames, [(p.rule, repr(p.variance)) for p in r.predictions],
            [d.to_dict() for d in r.trace])


@dataclass
class Pair:
    """The two stacks, driven in lockstep by a tester playing the peer."""

    fast: ReferenceStack
    slow: ReferenceStack
    peer: RawPeer
    now: float = 0.0
    ts_ok: bool = True
    tsval: int = 5000
    seq: int = PEER_ISS + 1  # the peer's next sequence number
    rcv_nxt: int = 0  # what the stack acknowledged last (its RCV.NXT)
    stack_nxt: int = 0  # the stack's highest sequence number sent
    stack_una: int = 0  # the peer's last acknowledgment
    window: int = 1000

    def both(self, method: str, *args) -> Reaction | object:
        a = getattr(self.fast, method)(*args)
        b = getattr(self.slow, method)(*args)
        reaction_a = a if isinstance(a, Reaction) else a.reaction
        reaction_b = b if isinstance(b, Reaction) else b.reaction
        assert observed(reaction_a) == observed(reaction_b), method
        if not isinstance(a, Reaction):
            assert (a.value, a.errno) == (b.value, b.errno), method
        self.check_state()
        self.learn(reaction_a)
        return a

    def check_state(self) -> None:
        assert self.fast.tcp.conns.keys() == self.slow.tcp.conns.keys()
        for key, tcb in self.fast.tcp.conns.items():
            assert tcb_state(tcb) == tcb_state(self.slow.tcp.conns[key])
        for fd in (3, 4):
            assert self.fast.poll_events(fd) == self.slow.poll_events(fd)
        assert self.fast.poll_at() == self.slow.poll_at()

    def learn(self, reaction: Reaction) -> None:
        for frame in reaction.frames:
            seg = dissect(frame).tcp
            if seg is None or seg.flags & RST:
                continue
            if seg.flags & ACK:
                self.rcv_nxt = seg.ack
            end = seq_add(seg.seq, seg.segment_len)
            if seq_diff(end, self.stack_nxt) > 0:
                self.stack_nxt = end

    def segment(self, flags: int, seq: int, ack: int, payload: bytes, window: int,
                ts: int | None, sack: bool, damage: str | None = None) -> None:
        opts: tuple = ()
        if ts is not None:
            opts = (TcpOptNop(), TcpOptNop(), TcpOptTimestamps(ts, 0))
        if sack:
            opts += (TcpOptNop(), TcpOptNop(), TcpOptSack(((seq_add(ack, 10), seq_add(ack, 20)),)))
        frame = self.peer.tcp(PEER_PORT, PORT, flags, seq=seq, ack=ack, payload=payload,
                              window=window, options=opts, urgent=1 if flags & URG else 0)
        if damage is not None:
            frame = damaged(frame, damage, self.fast.iface.addr.bcast)
        self.both("receive", frame, self.now)


def _with_checksums(frame: bytearray) -> bytes:
    """`frame` (Ethernet, IPv4 without options, TCP) with both checksums computed again."""
    frame[24:26] = b"\0\0"
    frame[24:26] = internet_checksum(bytes(frame[14:34])).to_bytes(2, "big")
    segment = bytes(frame[34:])
    frame[50:52] = b"\0\0"
    pseudo = pseudo_header_sum(bytes(frame[26:30]), bytes(frame[30:34]), IPPROTO_TCP,
                               len(segment))
    frame[50:52] = internet_checksum(bytes(frame[34:]), pseudo).to_bytes(2, "big")
    return bytes(frame)


def damaged(frame: bytes, how: str, broadcast: bytes) -> bytes:
    """A frame no fast path may take as it is (iface/tcp_frame.py):
    each turns one of their conditions false."""
    out = bytearray(frame)
    if how == "ip_checksum":
        out[24] ^= 0xFF
        return bytes(out)
    if how == "tcp_checksum":
        out[50] ^= 0xFF
        return bytes(out)
    if how == "short":
        return bytes(out[:33])
    if how == "broadcast":  # (a TCP segment to our subnet's broadcast address)
        out[30:34] = broadcast
    elif how == "fragment":  # MF set
        out[20] |= 0x20
    elif how == "long":  # a total length beyond the frame
        out[16:18] = (int.from_bytes(out[16:18], "big") + 4).to_bytes(2, "big")
    elif how == "udp":
        out[23] = 17
    elif how == "link_broadcast":  # (for us at the link layer all the same)
        out[0:6] = b"\xff" * 6
    elif how == "other_mac":
        out[0:6] = b"\x02\x00\x00\x00\x00\x99"
    elif how == "tcp_reserved_bit":  # (no longer a common TCP layout)
        out[46] |= 0x01
    return _with_checksums(out)


def open_pair(ts_ok: bool, wscale: int | None, sack: bool, profile: Profile = LINUX) -> Pair:
    fast, slow = stack(profile, True), stack(profile, False)
    pair = Pair(fast, slow, RawPeer(fast), ts_ok=ts_ok)
    lfd = pair.both("socket", AF_INET, SOCK_STREAM).value
    pair.both("bind", lfd, ("0.0.0.0", PORT))
    pair.both("listen", lfd, 8)
    opts = syn_options(wscale=wscale, ts=(pair.tsval, 0) if ts_ok else None, sack=sack)
    frame = pair.peer.tcp(PEER_PORT, PORT, SYN, seq=PEER_ISS, window=pair.window, options=opts)
    pair.both("receive", frame, 0.0)
    tcb = next(iter(fast.tcp.conns.values()))
    pair.stack_una = seq_add(tcb.iss, 1)
    pair.segment(ACK, pair.seq, pair.stack_una, b"", pair.window,
                 pair.tsval if ts_ok else None, False)
    assert pair.both("accept", lfd).value[0] == 4
    return pair


# Segments a fast path would predict (next in order, window and timestamps in step) ...
plain_steps = st.tuples(
    st.just("seg"),
    st.sampled_from((ACK, ACK | PSH)),
    st.just(0),
    st.sampled_from(("new", "same", "half")),
    st.sampled_from((0, 1, 536, 1448)),
    st.just(0),
    st.just(1),
    st.just(False),
)
# ... and anything else.
seg_steps = st.tuples(
    st.just("seg"),
    st.sampled_from(FLAG_CHOICES),
    st.sampled_from((0, 0, 0, 0, -1, 1, -500, 700, 1 << 20)),  # seq offset from RCV.NXT
    st.sampled_from(("new", "new", "same", "old", "beyond", "half")),  # which ACK
    st.sampled_from((0, 0, 1, 100, 536, 1448)),  # payload length
    st.sampled_from((0, 0, 0, 0, 1, -1, 2000)),  # window change
    st.sampled_from((1, 1, 1, 0, -1, None)),  # TSval step (None: no TSopt)
    st.sampled_from((False, False, False, False, True)),  # a SACK option too
)
sends = st.tuples(st.just("send"), st.sampled_from((1, 100, 1448, 3000, 20000)), st.booleans())
recvs = st.tuples(st.just("recv"), st.sampled_from((1, 1000, 1 << 16)))
call_steps = st.one_of(
    sends,
    recvs,
    sends,
    recvs,
    st.tuples(st.just("advance"), st.sampled_from((0.001, 0.2, 1.0, 5.0))),
    st.tuples(st.sampled_from(("close", "shutdown"))),
)
# ... and in-order data the layers below TCP must not hand to it as a common segment.
damaged_steps = st.tuples(st.just("damaged"), st.sampled_from(
    ("ip_checksum", "tcp_checksum", "short", "broadcast", "fragment", "long", "udp",
     "link_broadcast", "other_mac", "tcp_reserved_bit")))
steps = st.lists(st.one_of(plain_steps, plain_steps, seg_steps, call_steps, damaged_steps),
                 min_size=5, max_size=40)


def run_step(pair: Pair, fd: int, step: tuple) -> None:
    kind = step[0]
    if kind == "send":
        pair.both("send", fd, b"s" * step[1], pair.now, MSG_OOB if step[2] else 0)
    elif kind == "recv":
        pair.both("recv", fd, step[1], pair.now)
    elif kind == "advance":
        pair.now += step[1]
        pair.both("poll", pair.now)
    elif kind == "close":
        pair.both("close", fd, pair.now)
    elif kind == "shutdown":
        pair.both("shutdown", fd, 1, pair.now)
    elif kind == "damaged":
        pair.segment(ACK, pair.rcv_nxt, pair.stack_una, b"d" * 100, pair.window,
                     pair.tsval if pair.ts_ok else None, False, step[1])
    else:
        _, flags, seq_off, which, n, win_change, ts_step, sack = step
        ack = {"new": pair.stack_nxt, "same": pair.stack_una,
               "old": seq_add(pair.stack_una, -1),
               "beyond": seq_add(pair.stack_nxt, 1),
               "half": seq_add(pair.stack_una, seq_diff(pair.stack_nxt, pair.stack_una) // 2),
               }[which]
        pair.window = max(0, min(0xFFFF, pair.window + win_change))
        ts = None
        if ts_step is not None and (pair.ts_ok or ts_step != 1):
            pair.tsval = seq_add(pair.tsval, ts_step)
            ts = pair.tsval
        seq = seq_add(pair.rcv_nxt, seq_off)
        pair.segment(flags, seq, ack, b"p" * n, pair.window, ts, sack)
        if flags & ACK and seq_diff(ack, pair.stack_una) > 0 and \
                seq_diff(ack, pair.stack_nxt) <= 0:
            pair.stack_una = ack


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.booleans(), st.sampled_from((None, 0, 7)), st.booleans(),
       st.sampled_from((LINUX, RFC, GVISOR)), steps)
def test_fast_path_changes_nothing_but_speed(ts_ok, wscale, sack, profile, plan) -> None:
    pair = open_pair(ts_ok, wscale, sack, profile)
    fd = 4
    for step in plan:
        run_step(pair, fd, step)


def test_in_order_data_and_pure_acks_take_the_fast_path(monkeypatch) -> None:
    taken = []
    real = fast_path.segment_arrives

    def spy(*args):
        taken.append(real(*args))
        return taken[-1]

    monkeypatch.setattr(fast_path, "segment_arrives", spy)
    pair = open_pair(True, 7, True)
    run_step(pair, 4, ("send", 1448, False))
    run_step(pair, 4, ("seg", ACK | PSH, 0, "new", 100, 0, 1, False))  # data + new ACK
    run_step(pair, 4, ("seg", ACK, 0, "same", 1448, 0, 1, False))  # in-order data
    run_step(pair, 4, ("send", 100, False))
    run_step(pair, 4, ("seg", ACK, 0, "new", 0, 0, 1, False))  # pure ACK of new data
    run_step(pair, 4, ("seg", ACK, 0, "same", 0, 0, 1, False))  # duplicate: full path
    # The handshake's ACK (SYN-RECEIVED) and the duplicate ACK take the full path.
    assert taken == [False, True, True, True, False]


def test_address_pairs_change_nothing_but_speed() -> None:
    """The verdicts kept per address pair (ipv4.tcp_pair) are those of the full checks, for
    sources good and martian, beyond the number kept (the cache starts over), and after the
    profile changes (it is emptied)."""
    fast, slow = stack(LINUX, True), stack(LINUX, False)
    sources = [bytes((198, 18, 0, 20 + i)) for i in range(70)] + [
        b"\x7f\0\0\1", b"\xe0\0\0\5", b"\0\0\0\1", IP_A, b"\xc6\x12\0\xff"]
    for round_ in range(2):
        for src in sources:
            for s in (fast, slow):
                s.add_neighbor(src, MAC_B)
            frame = RawPeer(fast, src_ip=src).tcp(PEER_PORT, PORT + 1, ACK, seq=5, ack=7)
            assert observed(fast.receive(frame, 0.0)) == observed(slow.receive(frame, 0.0))
        for s in (fast, slow):
            s.set_profile(RFC if round_ == 0 else LINUX)

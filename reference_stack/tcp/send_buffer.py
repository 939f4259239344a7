"""Linux's send-buffer accounting (the profile's send_buffer_accounting): how much of a SEND
the buffer takes, and when poll() reports POLLOUT (the wake-up of a blocked SEND too).

RFC 9293 3.10.2: a SEND in ESTABLISHED or CLOSE-WAIT queues its data; "if there is
insufficient space to remember this buffer", it fails (POSIX: a blocking send() waits for
room, a non-blocking one returns the octets taken, or EAGAIN when none). How large the buffer
is and what counts against it is the implementation's (3.8.6): the rfc profile counts octets
against SO_SNDBUF (tcp/buffers.py).

Linux (measured on 6.18 with SO_MEMINFO: sk_wmem_queued after each send into a closed
window) charges every skb of the write and retransmit queues with its truesize: 832 octets
for the header-only skb tcp_stream_alloc_skb makes (SKB_TRUESIZE(skb_end_offset): the
MAX_TCP_HEADER head of 256, struct sk_buff 256, struct skb_shared_info 320), plus the payload
(skb_copy_to_page_nocache). tcp_sendmsg_locked (net/ipv4/tcp.c) copies into the write
queue's tail skb while it holds fewer than size_goal octets, without looking at the buffer;
a new skb starts only while sk_stream_memory_free (sk_wmem_queued < sk_sndbuf). size_goal
(tcp_send_mss -> tcp_xmit_size_goal) is sk_gso_max_size (65536 - MAX_TCP_HEADER - 1,
sk_setup_caps) bounded by half the peer's largest window (tcp_bound_to_half_wnd), in whole
MSS; the MSS itself is bounded so too (tcp_sync_mss). Measured: into a window closed at the
handshake, a 200000-octet send with SO_SNDBUF 2304 .. 16384 (sk_sndbuf 4608 .. 32768) takes
65160 octets (45 x 1448, one skb: 65992 queued) and the next send fails with EAGAIN; with
SO_SNDBUF 40000 (80000) two skbs, 130320 octets; MSS 536 (524 with timestamps): 64976.

Where the count is out of the oracle's reach: tcp_write_xmit's tcp_grow_skb moves payload
from the next skb into the head one when the pacing check lets it run (the next skb's
truesize is freed), and tso_fragment splits an skb where a transmission ends (a new
truesize). Both hang on timing: 700-octet sends into a closed window after a 1000-octet
window end with 6 skbs, or 7 when the sends come back to back. So the oracle bounds the
count (Allowance: what no order of grow and split can exceed or fall short of) and adopts
the target's count inside the bound; its own count (the reference target's, and the oracle's
where it has no target's) follows tcp_sendmsg_locked with neither grow nor split.

tcp_poll reports POLLOUT while __sk_stream_is_writeable(sk, 1): sk_sndbuf - sk_wmem_queued
>= sk_wmem_queued / 2 and sk_stream_memory_free. sk_stream_write_space wakes a send blocked
in sk_stream_wait_memory under the same condition (tcp_check_space after an ACK freed
memory), so a blocked SEND goes on once poll() would say POLLOUT.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from reference_stack.tcp.tcb import Tcb

# Linux 6.18 x86-64 sizes (include/linux/skbuff.h SKB_TRUESIZE, include/net/tcp.h).
MAX_TCP_HEADER = 256  # L1_CACHE_ALIGN(128 + MAX_HEADER)
SKB_SHINFO = 320  # SKB_DATA_ALIGN(sizeof(struct skb_shared_info))
SKB_STRUCT = 256  # SKB_DATA_ALIGN(sizeof(struct sk_buff))
# (SKB_TRUESIZE(MAX_TCP_HEADER) = 832, measured with SO_MEMINFO: the linux profile's skb_truesize)
GSO_MAX_SIZE = 65536 - MAX_TCP_HEADER - 1  # sk_setup_caps: GSO_LEGACY_MAX_SIZE less the head
TCP_MSS_DEFAULT = 536  # tcp_bound_to_half_wnd: a smaller window is not halved
MIN_SIZE_GOAL = 68 - 20  # tcp_bound_to_half_wnd's floor: 68 - tcp_header_len (options aside)
TCP_INIT_CWND = 10
# sk_setsockopt(SO_SNDBUF): at least SOCK_MIN_SNDBUF, 2 * TCP_SKB_MIN_TRUESIZE (2048 + struct
# sk_buff): measured, SO_SNDBUF 1000 reads back 4608
SOCK_MIN_SNDBUF = 2 * (2048 + SKB_STRUCT)

RULE_ACCOUNT = "LINUX-tcp_sendmsg_locked-sndbuf-skb-truesize"
RULE_WRITEABLE = "LINUX-tcp_poll-sndbuf-third-free"


@dataclass(slots=True, eq=False)
class SendMemory:
    """One socket's send-buffer bookkeeping. Offsets count octets written since the
    connection began (sequence numbers shift when the oracle adopts a target's ISN)."""

    truesize: int = 832  # an skb's truesize without payload (the profile's skb_truesize)
    written: int = 0
    # The oracle's own skbs ([start, end) offsets), oldest first, as tcp_sendmsg_locked would
    # build them without tcp_grow_skb or tso_fragment (the module docstring).
    skbs: list[list[int]] = field(default_factory=list)
    # send() calls that wrote since the queue was last empty: each may have started an skb;
    # and the smallest size goal they wrote with (0: none), which every skb but a call's
    # last and a split one holds at least
    calls: int = 0
    min_goal: int = 0


@dataclass(frozen=True, slots=True)
class Allowance:
    """What a send() of ``asked`` octets may return: EAGAIN (``eagain``) or a count n with
    ``least`` <= n <= ``most`` (``least`` = ``asked`` when no partial count is possible)."""

    asked: int
    eagain: bool
    least: int
    most: int

    def allows(self, count: int | None) -> bool:
        """``count``: the octets a target took (None: it said EAGAIN)."""
        if count is None:
            return self.eagain
        return self.least <= count <= self.most


def _cutoff(tcb: Tcb) -> int:
    """tcp_bound_to_half_wnd's cutoff: half the peer's largest window (the window itself when
    at most TCP_MSS_DEFAULT; 0: none seen)."""
    w = tcb.max_snd_wnd
    return w >> 1 if w > TCP_MSS_DEFAULT else w


def mss_now(tcb: Tcb) -> int:
    """tcp_current_mss: the send MSS, bounded to half the peer's largest window (tcp_sync_mss)."""
    cutoff = _cutoff(tcb)
    if cutoff and tcb.mss > cutoff:
        return max(cutoff, MIN_SIZE_GOAL)
    return tcb.mss


def size_goal(tcb: Tcb, urgent: bool = False) -> int:
    """tcp_xmit_size_goal: the octets a write-queue skb takes (one MSS for MSG_OOB)."""
    mss = mss_now(tcb)
    if urgent:
        return mss
    goal = GSO_MAX_SIZE
    cutoff = _cutoff(tcb)
    if cutoff and goal > cutoff:
        goal = max(cutoff, MIN_SIZE_GOAL)
    return max(goal // mss * mss, mss)


def _per_mss(mss: int, head: int = MAX_TCP_HEADER) -> int:
    """tcp_sndbuf_expand's worst case of one skb per MSS, its head (``head``: the kernel's
    MAX_TCP_HEADER) and skb_shared_info rounded up to a power of two."""
    return 1 << (mss + head + SKB_SHINFO - 1).bit_length()


def sndbuf_bounds(sndbuf: int, locked: bool, tcb: Tcb, expand: int, most: int,
                  reordering: int = 3, head: int = MAX_TCP_HEADER) -> tuple[int, int]:
    """sk_sndbuf as the oracle knows it: exact once the user set SO_SNDBUF; else at least
    what tcp_sndbuf_expand gives at ESTABLISHED (tcp_init_buffer_space: max(TCP_INIT_CWND,
    tp->reordering + 1) segments, ``reordering`` being net.ipv4.tcp_reordering, the profile's
    dupthresh; measured 69120 with BBR, 3 x 10 x 2304, and 76032 = 3 x 11 x 2304 with
    tcp_reordering 10; 87040 = 2 x 10 x 4352 on Debian's 6.1, whose MAX_TCP_HEADER
    ``head`` is 320) and at most tcp_wmem[2] (tcp_new_space grows it with the congestion
    window once a sender found the buffer full)."""
    if locked:
        return sndbuf, sndbuf
    segments = max(TCP_INIT_CWND, reordering + 1)
    grown = min(expand * segments * (_per_mss(tcb.mss, head) + SKB_STRUCT), most)
    low = max(sndbuf, grown)
    return low, max(low, most)


def sync(mem: SendMemory, tcb: Tcb) -> int:
    """The sent offset, the model brought up to date: the skbs acknowledged whole are freed
    (tcp_clean_rtx_queue), with the queue empty the calls are forgotten, and a transmission
    that ended inside an skb split it there (tso_fragment: the unsent rest stays in the write
    queue, the tail a send may fill again)."""
    queued = len(tcb.send.data)
    acked = mem.written - queued
    d = (tcb.snd_max - tcb.send.base) & 0xFFFFFFFF  # (seq_diff, inline: every send)
    sent = acked + (0 if d > 0x7FFFFFFF else queued if d > queued else d)
    skbs = mem.skbs
    while skbs and skbs[0][1] <= acked:
        del skbs[0]
    if not queued:
        mem.calls = mem.min_goal = 0
    for i in range(len(skbs) - 1, -1, -1):  # (from the tail: the sent offset is near it)
        start, end = skbs[i]
        if end <= sent:
            break
        if start < sent:
            skbs[i:i + 1] = [[start, sent], [sent, end]]
            break
    return sent


def _ceil(a: int, b: int) -> int:
    return -(-a // b)


def allowance(mem: SendMemory, tcb: Tcb, asked: int, sndbuf: tuple[int, int]) -> Allowance:
    """The counts no order of tcp_grow_skb and tso_fragment takes Linux outside of, for a
    send() of ``asked`` > 0 octets that does not wait. With B octets queued and k skbs:
    a new skb needs B + 832 k < sk_sndbuf, so the octets queued after the call stay below
    sk_sndbuf + size_goal (the last skb began below sk_sndbuf); EAGAIN, or a count short of
    ``asked``, needs B + 832 k >= sk_sndbuf. k is at least B / size_goal (skbs hold at most a
    size goal, tcp_grow_skb aside: it only merges) and at most one per call since the queue
    was empty (its last skb), one per smallest size goal queued (the goal grows with the
    peer's largest window) and one per segment in flight (tso_fragment's splits)."""
    sync(mem, tcb)
    low, high = sndbuf
    queued = len(tcb.send.data)
    goal = size_goal(tcb)
    floor = min(mem.min_goal or goal, goal)
    k_max = mem.calls + _ceil(queued, floor) + len(tcb.sent_at)
    eagain = queued > 0 and queued + mem.truesize * k_max >= low
    most = min(asked, high + goal - 1 - queued)
    # the smallest n after which the buffer may be full (any count from there to `asked`)
    def full_after(n: int) -> bool:
        return queued + n + mem.truesize * (k_max + 1 + _ceil(n, goal)) >= low

    lo, hi = 1, asked
    while lo < hi:
        mid = (lo + hi) // 2
        if full_after(mid):
            hi = mid
        else:
            lo = mid + 1
    least = lo
    return Allowance(asked, eagain, min(least, max(most, 1)), max(most, 0))


def own_count(mem: SendMemory, tcb: Tcb, sent: int, asked: int, sndbuf: int,
              goal: int) -> int:
    """The oracle's own count (``sent``: sync's): tcp_sendmsg_locked's loop over its skbs (no
    grow, no split): the tail skb, if not sent yet, fills to the size goal ``goal``; new skbs
    follow while the memory queued stays below ``sndbuf``."""
    queued = len(tcb.send.data)
    skbs = mem.skbs
    n = 0
    if skbs:
        start, end = skbs[-1]
        if start >= sent and end - start < goal:
            n = min(goal - (end - start), asked)
    count = len(skbs)
    while n < asked and queued + n + mem.truesize * count < sndbuf:  # sk_stream_memory_free
        count += 1
        n += min(goal, asked - n)
    return n


def record(mem: SendMemory, sent: int, count: int, goal: int) -> None:
    """``count`` octets written (the oracle's count or a target's it adopted): the model's
    skbs take them as tcp_sendmsg_locked would, the memory check aside."""
    if count <= 0:
        return
    skbs = mem.skbs
    written = mem.written
    left = count
    while left:
        tail = skbs[-1] if skbs else None
        if tail is None or tail[0] < sent or tail[1] - tail[0] >= goal:
            tail = [written, written]
            skbs.append(tail)
        copy = min(goal - (tail[1] - tail[0]), left)
        tail[1] += copy
        written += copy
        left -= copy
    mem.written = written
    mem.calls += 1
    mem.min_goal = goal if not mem.min_goal or goal < mem.min_goal else mem.min_goal


def model_queued(mem: SendMemory, tcb: Tcb) -> int:
    """sk_wmem_queued by the oracle's own skbs."""
    sync(mem, tcb)
    return len(tcb.send.data) + mem.truesize * len(mem.skbs)


def writeable(mem: SendMemory, tcb: Tcb, sndbuf: int) -> bool:
    """__sk_stream_is_writeable(sk, 1): a third of the buffer free, and room for an skb
    (tcp_stream_memory_free's notsent_lowat: unlimited by default)."""
    queued = model_queued(mem, tcb)
    return sndbuf - queued >= queued >> 1 and queued < sndbuf

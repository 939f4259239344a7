"""TCP options we send and the negotiation of the peer's (RFC 9293 3.7.1, RFC 6691, RFC 7323,
RFC 2018). The layouts follow Linux's tcp_options_write (MSS, SACK-permitted, timestamps, window
scale; NOP padding), which the RFCs allow in any order."""

from __future__ import annotations

from dataclasses import dataclass

from reference_stack.wire.tcp import (
    TcpOptMss,
    TcpOptNop,
    TcpOptSack,
    TcpOptSackPermitted,
    TcpOptTimestamps,
    TcpOptWindowScale,
    TcpRepr,
)

DEFAULT_MSS = 536  # RFC 9293 3.7.1: MUST assume 536 when no MSS option was received
DEFAULT_MSS_IPV6 = 1220  # RFC 9293 3.7.1: 1220 (1280 - 60) over IPv6 (MUST-15)
MAX_WSCALE = 14  # RFC 7323 2.3
TS_OPTION_LEN = 12  # NOP NOP TS, as sent on every non-SYN segment (RFC 7323 3.2)
MAX_SACK_BLOCKS_WITH_TS = 3  # RFC 2018 3: 40 bytes of options hold 3 blocks next to timestamps
MAX_SACK_BLOCKS = 4


@dataclass(frozen=True, slots=True)
class Negotiated:
    """What a SYN (and our own choices) settle for the connection."""

    peer_mss: int
    snd_wscale: int | None  # the peer's shift (None: no window scaling on the connection)
    ts_ok: bool
    sack_ok: bool


def syn_options(mss: int, wscale: int | None, sack: bool, ts: tuple[int, int] | None) -> tuple:
    """Options of a SYN or SYN-ACK, in Linux's layout."""
    opts: list = [TcpOptMss(mss)]
    if ts is not None:
        if sack:
            opts.append(TcpOptSackPermitted())
        else:
            opts += [TcpOptNop(), TcpOptNop()]
        opts.append(TcpOptTimestamps(ts[0], ts[1]))
    elif sack:
        opts += [TcpOptNop(), TcpOptNop(), TcpOptSackPermitted()]
    if wscale is not None:
        opts += [TcpOptNop(), TcpOptWindowScale(wscale)]
    return tuple(opts)


MAX_OPTION_SPACE = 40  # RFC 9293 3.1: a data offset of 15 words leaves 40 octets for options
MAX_SACK_BLOCKS = 4  # RFC 2018 3: at most 4 blocks fit in the option space


def send_option_reserve(ts_ok: bool, sack_ok: bool, reserve_sack: bool) -> int:
    """Octets deducted from the peer's MSS for our options (RFC 6691 2, RFC 9293 3.7.1): the
    Timestamps option we always send (12 with its NOPs); with ``reserve_sack`` (a stack that
    sizes segments for its largest option area) also the largest SACK option that fits after
    it (2 NOPs, kind, length and 8 octets a block, RFC 2018 3)."""
    reserve = 12 if ts_ok else 0
    if reserve_sack and sack_ok:
        reserve += 4 + 8 * min(MAX_SACK_BLOCKS, (MAX_OPTION_SPACE - reserve - 4) // 8)
    return reserve


def data_options(ts: tuple[int, int] | None, sack_blocks: tuple[tuple[int, int], ...]) -> tuple:
    """Options of a non-SYN segment: timestamps (RFC 7323 3.2) and SACK blocks (RFC 2018 3)."""
    opts: list = []
    if ts is not None:
        opts += [TcpOptNop(), TcpOptNop(), TcpOptTimestamps(ts[0], ts[1])]
    if sack_blocks:
        opts += [TcpOptNop(), TcpOptNop(), TcpOptSack(tuple(sack_blocks))]
    return tuple(opts)


def timestamps_of(seg: TcpRepr) -> tuple[int, int] | None:
    ts = seg.timestamps
    if ts is None:
        return None
    if hasattr(ts, "tsval"):
        return ts.tsval, ts.tsecr
    return ts[0], ts[1]


def last_timestamps_of(seg: TcpRepr) -> tuple[int, int] | None:
    """The segment's last Timestamps option (Linux tcp_parse_options: each overwrites
    rcv_tsval and rcv_tsecr), where timestamps_of gives the first."""
    found = None
    for o in seg.options:
        if isinstance(o, TcpOptTimestamps):
            found = o
    return (found.tsval, found.tsecr) if found is not None else None


def segment_timestamps(last: bool, seg: TcpRepr) -> tuple[int, int] | None:
    """TSval and TSecr of a segment: RFC 7323 does not say which of two Timestamps options
    counts; the first, or with `last` (a profile's `last_timestamps_option`) the last."""
    return last_timestamps_of(seg) if last else timestamps_of(seg)


def negotiate(syn: TcpRepr, want_wscale: bool, want_ts: bool, want_sack: bool,
              default_mss: int = DEFAULT_MSS) -> Negotiated:
    """Settle the options of a connection from the peer's SYN (or SYN-ACK); `default_mss`:
    the send MSS assumed without an MSS option (the family's, RFC 9293 3.7.1)."""
    mss = syn.mss
    ws = syn.window_scale
    if ws is not None:
        # RFC 7323 2.3: a shift above 14 is used as 14 (and SHOULD be logged).
        ws = min(ws, MAX_WSCALE)
    return Negotiated(
        peer_mss=mss if mss is not None else default_mss,
        # RFC 7323 2.2: scaling only if both sides sent the option in their SYNs.
        snd_wscale=ws if (want_wscale and ws is not None) else None,
        # RFC 7323 3.2: timestamps only if both SYNs carried TSopt.
        ts_ok=want_ts and timestamps_of(syn) is not None,
        # RFC 2018 2: SACK only if the SYN carried SACK-permitted.
        sack_ok=want_sack and bool(syn.sack_permitted),
    )

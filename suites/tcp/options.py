"""SYN option sets for the TCP tests (RFC 9293 3.2, RFC 7323, RFC 2018)."""

from reference_stack.route_metrics import announced_mss, send_mss_limit
from reference_stack.tcp.syn_cookie import table_mss
from reference_stack.wire import tcp as tcpw

MSS = tcpw.TcpOptMss(1460)
TS_OPTION_LEN = 12  # NOP, NOP, Timestamps
SACK_OK = tcpw.TcpOptSackPermitted()
NOP = tcpw.TcpOptNop()


def ts(tsval: int = 1, tsecr: int = 0) -> tcpw.TcpOptTimestamps:
    return tcpw.TcpOptTimestamps(tsval, tsecr)


def syn_options(mss: int | None = 1460, sack: bool = True, timestamps: bool = True,
                wscale: int | None = 7) -> tuple:
    """The options of a tester SYN; None/False leaves an option out."""
    out: list = []
    if mss is not None:
        out.append(tcpw.TcpOptMss(mss))
    if sack:
        out.append(SACK_OK)
    if timestamps:
        out.append(ts())
    if wscale is not None:
        out += [NOP, tcpw.TcpOptWindowScale(wscale)]
    return tuple(out)


def ts_option(tsval: int, tsecr: int) -> tuple:
    """The options of a non-SYN segment carrying a timestamp (RFC 7323 appendix A layout)."""
    return (NOP, NOP, ts(tsval, tsecr))


def link_mss(family, mtu: int = 1500) -> int:
    """The MSS a host announces on a link of ``mtu`` (Ethernet's by default): MTU less the IP
    header (20 octets, or IPv6's 40: RFC 8200 3) and the TCP header's 20 (RFC 6691 2, RFC
    9293 3.7.1): 1460 over IPv4, 1440 over IPv6."""
    return mtu - family.ip_header_len - 20


def full_segment(family, tester_mss: int = 1460) -> int:
    """The data of a full-sized DUT segment on a timestamped connection: the smaller of the
    tester's MSS and the DUT's own, less the Timestamps option (RFC 6691 2)."""
    return min(tester_mss, link_mss(family)) - TS_OPTION_LEN


def passive_peer_mss(profile, mss: int, ipv6: bool = False) -> int:
    """The peer's MSS a passive open keeps: ``mss``, or with net.ipv4.tcp_syncookies = 2
    (every passive open a SYN cookie) the largest msstab entry not above it (Linux
    __cookie_v4_init_sequence; RFC 9293 3.7.1 lets the sender use less than the peer's MSS)."""
    return table_mss(mss, ipv6) if profile.syncookies == 2 else mss


def dut_mss(profile, ipv6: bool = False) -> int:
    """The MSS the DUT announces: its link's MTU less the IP and TCP headers (1460 over IPv4
    on Ethernet, RFC 6691 2), or what its route to the tester sets (mtu, advmss), as the
    oracle's profile has it (reference_stack/route_metrics.py)."""
    return announced_mss(profile.route6 if ipv6 else profile.route4, profile.mtu, ipv6)


def dut_send_limit(profile, ipv6: bool = False) -> int:
    """What bounds the DUT's segments besides the peer's MSS and the options: its path MTU
    (the route's mtu, else the link's) less the headers (route_metrics.send_mss_limit)."""
    return send_mss_limit(profile.route6 if ipv6 else profile.route4, profile.mtu, ipv6)


def timestamps_reserve(profile, offered: bool = True) -> int:
    """The octets the Timestamps option takes from each data segment: 12 once both SYNs
    carried it (RFC 7323 3.2; the DUT offers it when its profile has timestamps, Linux
    net.ipv4.tcp_timestamps), else none."""
    return TS_OPTION_LEN if offered and profile.timestamps else 0


def sacked(profile, *blocks: tuple[int, int]) -> tuple[tuple[int, int], ...]:
    """The SACK blocks a DUT's ACK of out-of-order text starts with, where the tester offered
    SACK-permitted: ``blocks`` (RFC 2018 4), or none where the DUT did not agree to SACK (its
    SYN,ACK without SACK-permitted, RFC 2018 2: Linux with net.ipv4.tcp_sack=0,
    tcp_openreq_init; tcp_established_options adds no SACK option without tcp_is_sack), whose
    ACK of out-of-order text is then a plain duplicate ACK (RFC 5681 3.2, at once)."""
    return tuple(blocks) if profile.sack else ()

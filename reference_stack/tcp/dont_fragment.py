"""Which DF bit a TCP segment's datagram carries, where a profile says the socket that sends it
is not the connection's own (RFC 1191 3: a host doing path MTU discovery sets DF; the IP layer
otherwise uses the profile's ``tcp_df``, Linux's net.ipv4.ip_no_pmtu_disc).

Linux sends a segment from one of three sockets, each with its own pmtudisc:

- the connection's socket (tcp_transmit_skb -> ip_queue_xmit -> ip_dont_fragment): DF unless
  ip_no_pmtu_disc made it IP_PMTUDISC_DONT at creation (inet_create); an accepted socket
  inherits its listener's (sk_clone_lock);
- the namespace's control socket (ip_send_unicast_reply; tcp_sk_init: IP_PMTUDISC_DO): a RST
  answering a segment (tcp_v4_send_reset) and the ACKs of TIME-WAIT, FIN-WAIT-2 and request
  sockets (tcp_v4_send_ack): DF always (profile ``control_socket_df``);
- the listener, for a request socket's SYN,ACK (ip_build_and_send_pkt): DF when the datagram
  is at most IPV4_MIN_MTU octets, else as the listener's (profile ``small_synack_df``).

Measured on Linux 6.18 with ip_no_pmtu_disc = 1 (suites/tcp/test_dont_fragment.py).
"""

from __future__ import annotations

from reference_stack.profiles import Profile
from reference_stack.sockopt import IP_PMTUDISC_DO, IP_PMTUDISC_WANT
from reference_stack.tcp.tcb import Tcb, is_request
from reference_stack.trace import EVENT, Trace
from reference_stack.wire.tcp import SYN

IPV4_MIN_MTU = 576  # RFC 791 3.1: every host accepts a datagram of 576 octets
IPV4_TCP_HEADERS = 40  # an IPv4 header without options and a TCP header without options
RULE_CONTROL = "LINUX-ip_send_unicast_reply-control-socket-df"
RULE_SYNACK = "LINUX-ip_build_and_send_pkt-small-synack-df"


def pmtudisc_df(pmtudisc: int | None) -> bool | None:
    """The DF bit IP_MTU_DISCOVER gives a TCP socket's datagrams (None: not set, the
    profile's tcp_df): DF for IP_PMTUDISC_DO and IP_PMTUDISC_WANT only (Linux ip_queue_xmit ->
    ip_dont_fragment; PROBE, INTERFACE and OMIT send without DF, measured on Linux 6.18)."""
    return None if pmtudisc is None else pmtudisc in (IP_PMTUDISC_DO, IP_PMTUDISC_WANT)


def reply_df(profile: Profile, trace: Trace) -> bool | None:
    """The DF bit of a RST answering a segment (no connection's socket sends it); None: the
    profile's tcp_df."""
    if profile.control_socket_df and not profile.tcp_df:
        trace.add("tcp", EVENT, RULE_CONTROL, "RST from the control socket: DF")
        return True
    return None


def connection_df(profile: Profile, tcb: Tcb, flags: int, length: int, minisock: bool,
                  trace: Trace) -> bool | None:
    """The DF bit of a segment of ``tcb`` (``length``: its TCP options and payload): the one
    IP_MTU_DISCOVER gave the connection's socket (``tcb.df``: DF for IP_PMTUDISC_DO and
    IP_PMTUDISC_WANT, Linux ip_dont_fragment), or the one of another socket that sends it;
    None: the profile's tcp_df. ``minisock``: Linux's timewait socket sends it, answering a
    segment (its ACK of the FIN that made it is the full socket's: tcp_fin sends it before
    tcp_time_wait). A request socket's SYN,ACK goes with its listener's choice."""
    own = tcb.df
    if (profile.tcp_df and own is None) or not (
            profile.control_socket_df or profile.small_synack_df):
        return own
    if minisock or (is_request(tcb) and not flags & SYN):
        if profile.control_socket_df:
            trace.add("tcp", EVENT, RULE_CONTROL,
                      f"{tcb.state.value} minisocket's segment from the control socket: DF")
            return True
    elif is_request(tcb) and profile.small_synack_df \
            and IPV4_TCP_HEADERS + length <= IPV4_MIN_MTU:
        trace.add("tcp", EVENT, RULE_SYNACK, "request socket's SYN,ACK of at most 576 octets: DF")
        return True
    return own

"""ICMPv6 errors passed to TCP (RFC 4443 2.4(a) and 3.1: an error, a Destination Unreachable
above all, MUST be passed to the upper-layer process it concerns; what TCP does with it is RFC
1122 4.2.3.9 and RFC 9293 3.9.2.2's, TcpLayer.icmp_error). The quoted packet names the
connection: our address as its source, then the TCP ports behind whatever extension headers
it carried (RFC 4443 2.4(c): the invoking packet as received). A Packet Too Big has its own
path (iface/pmtu6.py).

The errno is the one Linux's icmpv6_err_convert gives (net/ipv6/icmp.c, tab_unreach), and
``hard`` its ``fatal``: RFC 9293 3.9.2.2 names Destination Unreachable codes 0 and 3 soft, as
IPv4's net and host unreachable; port unreachable (4) and a Parameter Problem (an unrecognised
Next Header: IPv6's protocol unreachable) end a connection attempt as IPv4's port and protocol
unreachable do."""

from __future__ import annotations

import errno

from reference_stack.iface.icmpv6_quote import connection_key, quoted_own_packet
from reference_stack.iface.state import IfaceState
from reference_stack.trace import Trace
from reference_stack.wire.icmpv6 import (
    ICMP6_DST_UNREACH,
    ICMP6_PARAM_PROB,
    ICMP6_TIME_EXCEEDED,
    Icmpv6Repr,
)
from reference_stack.wire.ipv6 import IPPROTO_TCP

RULE = "RFC4443-2.4-MUST-pass-error-to-upper-layer"
# Destination Unreachable code -> (errno, hard): Linux tab_unreach (RFC 4443 3.1 codes 0-6).
UNREACH = {
    0: (errno.ENETUNREACH, False),  # no route to destination
    1: (errno.EACCES, True),  # administratively prohibited
    2: (errno.EHOSTUNREACH, False),  # beyond the scope of the source address
    3: (errno.EHOSTUNREACH, False),  # address unreachable
    4: (errno.ECONNREFUSED, True),  # port unreachable
    5: (errno.EACCES, True),  # source address failed ingress/egress policy
    6: (errno.EACCES, True),  # reject route to destination
}


def error_errno(icmp_type: int, code: int) -> tuple[int, bool]:
    """(errno, hard) of an ICMPv6 error (Linux icmpv6_err_convert: an unknown Destination
    Unreachable code is EPROTO and hard, a Parameter Problem EPROTO and hard, a Time Exceeded
    EHOSTUNREACH and soft, any other error EPROTO and soft)."""
    if icmp_type == ICMP6_DST_UNREACH:
        return UNREACH.get(code, (errno.EPROTO, True))
    if icmp_type == ICMP6_PARAM_PROB:
        return errno.EPROTO, True
    if icmp_type == ICMP6_TIME_EXCEEDED:
        return errno.EHOSTUNREACH, False
    return errno.EPROTO, False


def to_tcp(st: IfaceState, icmp: Icmpv6Repr, trace: Trace) -> None:
    """An ICMPv6 error about a TCP segment we sent, to the TCP connection it quotes."""
    found = quoted_own_packet(st, icmp, trace, RULE)
    if found is None:
        return
    quoted, chain = found
    if chain.upper_protocol != IPPROTO_TCP or len(chain.upper) < 4:
        return  # (an error about another protocol: no transport here acts on it)
    key = connection_key(quoted, chain.upper)
    err, hard = error_errno(icmp.type, icmp.code)
    st.tcp.icmp_error(key, icmp.type, icmp.code, err, hard)

"""ICMPv6 errors about a TCP segment reach its connection (RFC 4443 2.4(a), 3.1; iface/
icmpv6_notify.py): a hard one (port unreachable, RFC 4443 3.1 code 4) ends a connection attempt
on every profile (RFC 1122 4.2.3.9); a soft one (address unreachable, code 3: RFC 9293 3.9.2.2)
ends it only on the linux profile (tcp_v6_err -> tcp_done_with_error in SYN-SENT, measured on
Linux 6.18), the rfc profile keeping it (MUST NOT abort)."""

from __future__ import annotations

import errno
import socket

import pytest

from reference_stack.profiles import LINUX, RFC
from reference_stack.tcp.state import State
from reference_stack.wire.frame import build_frame_v6, dissect
from reference_stack.wire.icmpv6 import ICMP6_DST_UNREACH, ICMP6_PARAM_PROB, Icmpv6Repr
from reference_stack.wire.ipv6 import IPPROTO_ICMPV6, Ipv6Repr

from .harness import MAC_A, MAC_B
from .test_ipv6_sockets import IP6_A, IP6_B, dual_stack

ABORT = "LINUX-tcp_v6_err-syn-sent-abort"


def syn_sent(profile):
    """Stack a connecting to b's IPv6 address (nobody answers): (stack, fd, its SYN's IPv6
    packet)."""
    a = dual_stack(profile, "a", 1)
    fd = a.socket(socket.AF_INET6, socket.SOCK_STREAM).value
    result = a.connect(fd, ("2001:db8::b", 5001), 0.0)
    (syn,) = [f for f in result.reaction.frames if dissect(f).tcp is not None]
    return a, fd, dissect(syn).eth.payload


def error_about(packet: bytes, icmp_type: int, code: int, rest: int = 0) -> bytes:
    icmp = Icmpv6Repr(icmp_type, code, rest, packet)
    return build_frame_v6(MAC_B, MAC_A, Ipv6Repr(IP6_B, IP6_A, IPPROTO_ICMPV6), icmp)


def state(a) -> State | None:
    tcbs = list(a.tcp.conns.values())
    return tcbs[0].state if tcbs else None


@pytest.mark.parametrize("profile,aborted", [(RFC, False), (LINUX, True)], ids=["rfc", "linux"])
def test_soft_icmpv6_error_in_syn_sent(profile, aborted):
    a, fd, syn = syn_sent(profile)
    r = a.receive(error_about(syn, ICMP6_DST_UNREACH, 3), 0.1)  # address unreachable
    assert (ABORT in r.rules()) is aborted
    assert (state(a) is None) is aborted
    if not aborted:
        assert state(a) is State.SYN_SENT


@pytest.mark.parametrize("profile", [RFC, LINUX], ids=["rfc", "linux"])
@pytest.mark.parametrize("icmp_type,code,err", [(ICMP6_DST_UNREACH, 4, errno.ECONNREFUSED),
                                                (ICMP6_PARAM_PROB, 1, errno.EPROTO)],
                         ids=["port-unreachable", "unrecognised-next-header"])
def test_hard_icmpv6_error_ends_a_connection_attempt(profile, icmp_type, code, err):
    a, fd, syn = syn_sent(profile)
    r = a.receive(error_about(syn, icmp_type, code, 6 if icmp_type == ICMP6_PARAM_PROB else 0),
                  0.1)
    assert "RFC1122-4.2.3.9-SHOULD-abort-on-hard-error" in r.rules()
    assert state(a) is None
    assert a.getsockopt(fd, socket.SOL_SOCKET, socket.SO_ERROR).value == err


def test_an_error_about_another_hosts_packet_is_not_ours():
    a, _, syn = syn_sent(LINUX)
    other = syn[:8] + IP6_B + syn[24:]  # the quoted source is not our address
    r = a.receive(error_about(other, ICMP6_DST_UNREACH, 4), 0.1)
    assert state(a) is State.SYN_SENT and ABORT not in r.rules()

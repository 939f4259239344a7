"""RFC 1191 3: a host doing path MTU discovery sends its datagrams with DF set; whether it does
is the host's choice (Linux: net.ipv4.ip_no_pmtu_disc = 1 turns it off for the sockets made
while it is set, inet_create). Each segment carries the DF bit the oracle's profile gives the
socket that sends it: the connection's own (``tcp_df``; ``udp_df`` for a UDP socket), Linux's
control socket for a RST answering a segment (``control_socket_df``), and the request socket's
SYN,ACK of at most 576 octets (``small_synack_df``). With the defaults every one has DF; run
with ``--dut-sysctl net.ipv4.ip_no_pmtu_disc=1`` to see them part.

IPv4 only by nature: the DF bit is IPv4's (RFC 791 3.1). IPv6 has no DF: routers never
fragment and a source fragments only with a Fragment header (RFC 8200 4.5, 5); the IPv6 side
of path MTU discovery is suites/ipv6/test_pmtu.py."""

import socket

import pytest

from conformance.author.tcp_connection import seq_add
from conformance.author.templates import UDP, IPv4, Payload

from .states import LISTEN_PORT, listen

REQ = "RFC1191-3-MAY-df"
# Whether a stack does path MTU discovery is its choice (a MAY): only a profile that models the
# target's own choices (the `linux` profile) says which DF bit each segment carries.
pytestmark = pytest.mark.needs(exact_choices=True)


def _df(conn, **fields) -> bool:
    return bool(conn.expect_frame(**fields).ipv4.df)


@pytest.mark.requirement(REQ, "RFC9293-3.10.7.2-MUST-listen-syn")
def test_syn_ack_and_data_of_a_passive_open(ex, dut, endpoints, bed):
    profile = bed.oracle_profile
    listener = listen(dut, endpoints)
    conn = ex.tcp(dut_port=LISTEN_PORT)
    conn.send(flags="S")
    assert _df(conn, flags="SA", ack=conn.snd_nxt) == (
        profile.tcp_df or profile.small_synack_df)
    conn.send(flags="A")
    fd, _ = dut.accept(listener)
    dut.send(fd, b"data")
    assert _df(conn, payload=b"data") == profile.tcp_df  # the connection's own socket


@pytest.mark.requirement(REQ, "RFC9293-3.10.7.1-MUST-closed-rst-ack")
def test_rst_from_a_closed_port(ex, bed):
    profile = bed.oracle_profile
    conn = ex.tcp(dut_port=9)
    conn.send(flags="S")
    assert _df(conn, flags="RA", seq=0, ack=seq_add(conn.isn, 1)) == (
        profile.tcp_df or profile.control_socket_df)


@pytest.mark.requirement(REQ, "RFC768-MUST-send")
def test_udp_datagram(ex, dut, endpoints, bed):
    fd = dut.socket(socket.AF_INET, socket.SOCK_DGRAM)
    dut.bind(fd, (endpoints.dut_ipv4, 5353))
    dut.sendto(fd, b"datagram", (endpoints.tester_ipv4, 40001))
    got = ex.expect(IPv4(src=endpoints.dut_ipv4, dst=endpoints.tester_ipv4),
                    UDP(src_port=5353, dst_port=40001), Payload(b"datagram"))
    assert bool(got.ipv4.df) == bed.oracle_profile.udp_df

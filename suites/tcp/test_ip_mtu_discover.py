"""IP_MTU_DISCOVER on a TCP socket (issue 12 item 1), and the IP identification of its
retransmissions (RFC 6864).

RFC 1191 3: a host doing path MTU discovery sets DF; whether it does is its choice, and Linux
lets the application choose per socket. The value reads back; on a connection, the datagrams
the socket sends carry DF for IP_PMTUDISC_DO and IP_PMTUDISC_WANT and not for the others
(ip_queue_xmit -> ip_dont_fragment: "pmtudisc == IP_PMTUDISC_DO || (pmtudisc ==
IP_PMTUDISC_WANT && !ip_mtu_locked(dst))"; measured on Linux 6.18). A value outside
IP_PMTUDISC_DONT..IP_PMTUDISC_OMIT is EINVAL (do_ip_setsockopt). A fresh socket has WANT, or
DONT where net.ipv4.ip_no_pmtu_disc is set (inet_create).

RFC 6864 4.1: "Sources of non-atomic IPv4 datagrams MUST NOT repeat IPv4 ID values within one
MDL for a given source address/destination address/protocol tuple": without DF a retransmitted
segment is a new datagram and takes a new ID. An atomic datagram's ID is free (RFC 6864 4.2).

IPv4 only by nature: IP_MTU_DISCOVER is an IPPROTO_IP option (an IPv6 socket has its own,
IPV6_MTU_DISCOVER) and what it chooses, DF and the Identification, are IPv4 header fields
(RFC 791 3.1); IPv6 has no DF (RFC 8200 5).

Waits: the retransmission test waits for the DUT's retransmission timer (about 0.2-0.3 s on
Linux after the handshake's RTT sample)."""

import errno
import socket

import pytest

from reference_stack.sockopt import IP_MTU_DISCOVER, IPPROTO_IP

from .states import reach

DF_CHOICE = "RFC1191-3-MAY-df"
DONT, WANT, DO, PROBE, INTERFACE, OMIT = range(6)
VALUES = {"dont": DONT, "want": WANT, "do": DO, "probe": PROBE, "interface": INTERFACE,
          "omit": OMIT}
SETS_DF = {WANT, DO}  # (ip_dont_fragment)


@pytest.mark.requirement(DF_CHOICE)
@pytest.mark.parametrize("value", list(VALUES.values()), ids=list(VALUES))
def test_value_reads_back(dut, value):
    fd = dut.socket(socket.AF_INET, socket.SOCK_STREAM)
    dut.setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, value)
    assert dut.getsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER) == value


@pytest.mark.requirement(DF_CHOICE)
@pytest.mark.parametrize("value", [-1, 6], ids=["-1", "6"])
def test_value_out_of_range_is_refused(dut, value):
    fd = dut.socket(socket.AF_INET, socket.SOCK_STREAM)
    assert dut.setsockopt_with_errno(fd, IPPROTO_IP, IP_MTU_DISCOVER, value)[1] == errno.EINVAL


@pytest.mark.requirement(DF_CHOICE)
def test_fresh_socket_follows_the_profile(dut, bed):
    fd = dut.socket(socket.AF_INET, socket.SOCK_STREAM)
    expected = WANT if bed.oracle_profile.tcp_df else DONT
    assert dut.getsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER) == expected


@pytest.mark.requirement(DF_CHOICE, "RFC9293-3.10.2-MUST-send-data")
@pytest.mark.parametrize("value", list(VALUES.values()), ids=list(VALUES))
def test_connection_data_carries_the_chosen_df(ex, dut, endpoints, value):
    peer = reach("ESTABLISHED", ex, dut, endpoints)
    dut.setsockopt(peer.fd, IPPROTO_IP, IP_MTU_DISCOVER, value)
    dut.send(peer.fd, b"data")
    frame = peer.conn.expect_frame(payload=b"data")
    assert bool(frame.ipv4.df) == (value in SETS_DF)
    peer.conn.ack()


@pytest.mark.requirement("RFC6864-4.1-MUST-NOT-repeat-non-atomic-id",
                         "RFC9293-3.8.1-MUST-retransmit")
def test_retransmission_without_df_takes_a_new_id(ex, dut, endpoints):
    peer = reach("ESTABLISHED", ex, dut, endpoints)
    dut.setsockopt(peer.fd, IPPROTO_IP, IP_MTU_DISCOVER, DONT)
    dut.send(peer.fd, b"data")
    first = peer.conn.expect_frame(payload=b"data")
    again = peer.conn.expect_frame(payload=b"data", timeout=3.0, seq=first.tcp.seq)
    assert not first.ipv4.df and not again.ipv4.df
    assert again.ipv4.ident != first.ipv4.ident
    peer.conn.ack()

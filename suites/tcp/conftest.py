"""Shared set-up for the TCP suite: a listening DUT socket."""

import socket

import pytest

LISTEN_PORT = 8080


@pytest.fixture
def listener(dut, endpoints):
    """A DUT socket listening on LISTEN_PORT; returns its descriptor."""
    fd = dut.socket(socket.AF_INET, socket.SOCK_STREAM)
    dut.setsockopt(fd, socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    dut.bind(fd, (endpoints.dut_ipv4, LISTEN_PORT))
    dut.listen(fd, 8)
    return fd


@pytest.fixture
def established(ex, dut, listener, endpoints):
    """A connection the tester opened to the DUT listener and the DUT accepted: (conn, fd)."""
    conn = ex.tcp(dut_port=LISTEN_PORT)
    conn.handshake()
    fd, peer = dut.accept(listener)
    assert peer == (endpoints.tester_ipv4, conn.tester_port)
    return conn, fd

"""reference_stack.sockopt: option values, their kernel bytes, refusals by name; TCP_INFO's
record; recv flags on the oracle (MSG_PEEK, MSG_OOB)."""

import errno
import socket
import struct

import pytest

from reference_stack.sockopt import (
    IP_MTU_DISCOVER,
    MSG_MORE,
    MSG_PEEK,
    TCP_CORK,
    Linger,
    Unsupported,
    as_bytes,
    as_value,
    flag_names,
    for_kernel,
    option_name,
    refuse_flags,
)
from reference_stack.tcp.info import TcpInfo, blank
from reference_stack.tcp.state import State

SO = socket.SOL_SOCKET


def test_linger_from_every_form():
    raw = struct.pack("ii", 1, 5)
    assert as_value(SO, socket.SO_LINGER, raw) == Linger(1, 5)
    assert as_value(SO, socket.SO_LINGER, (1, 5)) == Linger(1, 5)
    assert as_bytes(SO, socket.SO_LINGER, Linger(1, 5)) == raw
    assert for_kernel(SO, socket.SO_LINGER, (1, 5)) == raw


def test_linger_of_a_wrong_shape_names_the_option():
    with pytest.raises(ValueError, match="SO_LINGER"):
        as_value(SO, socket.SO_LINGER, b"\x01\x00\x00\x00")
    with pytest.raises(ValueError, match="SO_LINGER"):
        as_value(SO, socket.SO_LINGER, 1)


def test_int_options_take_ints_bools_and_native_bytes():
    assert as_value(socket.IPPROTO_TCP, socket.TCP_NODELAY, True) == 1
    assert as_value(socket.IPPROTO_TCP, TCP_CORK, struct.pack("=i", 1)) == 1
    assert for_kernel(socket.IPPROTO_IP, IP_MTU_DISCOVER, 2) == 2
    with pytest.raises(ValueError, match="TCP_MAXSEG"):
        as_value(socket.IPPROTO_TCP, socket.TCP_MAXSEG, "1000")


def test_names():
    assert option_name(socket.IPPROTO_TCP, TCP_CORK) == "TCP_CORK"
    assert option_name(6, 999) == "level 6 option 999"
    assert flag_names(MSG_PEEK | MSG_MORE | 0x40000000) == ["MSG_PEEK", "MSG_MORE", "0x40000000"]
    with pytest.raises(Unsupported, match="MSG_MORE"):
        refuse_flags(MSG_MORE | MSG_PEEK, MSG_PEEK, "x")
    refuse_flags(MSG_PEEK, MSG_PEEK, "x")


def test_tcp_info_struct_round_trip():
    record = blank(State.FIN_WAIT_2, snd_wscale=7, rcv_wscale=10, snd_mss=1448, rto=204000,
                   snd_cwnd=10, unacked=2)
    raw = record.to_bytes() + bytes(128)  # later kernels append fields: ignored
    assert TcpInfo.parse(raw) == record
    assert raw[0] == 5  # TCP_FIN_WAIT2
    assert raw[6] == 7 | 10 << 4
    with pytest.raises(ValueError):
        TcpInfo.parse(raw[:50])


def test_the_oracle_refuses_an_option_it_knows_but_does_not_model_by_name():
    from tests.unit.refstack.harness import make_stack

    stack = make_stack()
    fd = stack.socket(socket.AF_INET, socket.SOCK_STREAM).value
    with pytest.raises(Unsupported, match="IP_TTL"):
        stack.setsockopt(fd, socket.IPPROTO_IP, socket.IP_TTL, 5)
    assert stack.setsockopt(fd, SO, 12345, 1).errno == errno.ENOPROTOOPT


def test_linger_is_a_named_pair():
    import copy
    import pickle

    value = Linger(1, 5)
    assert (value.onoff, value.seconds) == (1, 5) and value == (1, 5)
    assert repr(value) == "Linger(onoff=1, seconds=5)"
    assert pickle.loads(pickle.dumps(value)) == value and copy.deepcopy(value) == value
    assert type(pickle.loads(pickle.dumps(value))) is Linger

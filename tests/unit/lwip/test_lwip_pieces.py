"""The lwip target's pure pieces: socket addresses as lwIP (glibc's struct sockaddr_in) takes
them, the readiness ARP reply's recognition, and where the shim's build goes."""

import socket

import pytest

from conformance.targets import lwip_build
from conformance.targets.lwip import arp_reply_predicate
from conformance.targets.lwip_agent import CallError, address_of, sockaddr_in


def test_sockaddr_in_is_glibcs_layout():
    raw = sockaddr_in(("198.18.0.2", 8080))
    assert len(raw) == 16
    assert raw[:2] == socket.AF_INET.to_bytes(2, "little")  # sin_family in host order
    assert raw[2:4] == (8080).to_bytes(2, "big") and raw[4:8] == bytes([198, 18, 0, 2])
    assert raw[8:] == bytes(8)
    assert address_of(raw) == ("198.18.0.2", 8080)


def test_a_name_that_is_not_an_ipv4_address_is_einval():
    with pytest.raises(CallError) as info:
        sockaddr_in(("2001:db8::1", 80))
    assert info.value.errno == 22


def arp_frame(op: int, spa: bytes) -> bytes:
    eth = bytes(6) + bytes(6) + b"\x08\x06"
    return eth + b"\x00\x01\x08\x00\x06\x04" + op.to_bytes(2, "big") + bytes(6) + spa + bytes(10)


def test_arp_reply_predicate_wants_a_reply_from_the_dut():
    dut = bytes([198, 18, 0, 2])
    is_reply = arp_reply_predicate(dut)
    assert is_reply(arp_frame(2, dut))
    assert not is_reply(arp_frame(1, dut))  # a request
    assert not is_reply(arp_frame(2, bytes([198, 18, 0, 9])))  # from someone else


def test_the_shim_is_cached_by_source_and_library(tmp_path, monkeypatch):
    if not lwip_build.LWIP_LIBRARY.exists():
        pytest.skip("liblwip0 is not installed")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    path = lwip_build.shim_path()
    assert path.parent == tmp_path / "netconform" and path.name.startswith("libnclwip-")
    assert path == lwip_build.shim_path()  # stable for the same source and library

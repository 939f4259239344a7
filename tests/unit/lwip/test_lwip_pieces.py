"""The lwip target's pure pieces: socket addresses as lwIP (glibc's struct sockaddr_in) takes
them, the readiness ARP reply's recognition, and where the shim's build goes."""

import os
import socket
import time

import pytest

from conformance.dut.agent import AgentFailure
from conformance.fabric.link import Barrier, LinkTimeout
from conformance.targets import lwip_build
from conformance.targets.lwip import ProcessLink, arp_reply_predicate
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


class _EndingAgent:
    """An lwIP process stand-in that ends after ``alive_for`` seconds."""

    def __init__(self, alive_for: float) -> None:
        self.ends_at = time.monotonic() + alive_for

    def exit_status(self):
        return -6 if time.monotonic() >= self.ends_at else None

    def describe_end(self) -> str:
        return "killed by SIGABRT"


class _SilentRing:
    """A packet socket stand-in that never receives (a pipe nobody writes)."""

    def __init__(self) -> None:
        self.sent: list[bytes] = []
        self._read, self._write = os.pipe()

    def ifindex_of(self, ifname: str) -> int:
        return 1

    def recv(self):
        return None

    def sendto(self, frame: bytes, address) -> None:
        self.sent.append(frame)

    def fileno(self) -> int:
        return self._read


@pytest.mark.parametrize("alive_for", [0.0, 0.2], ids=["ended-before", "ends-while-waiting"])
def test_a_barrier_to_an_ended_process_fails_when_it_ends(alive_for):
    link = ProcessLink(_SilentRing(), "nc-test", agent=_EndingAgent(alive_for))
    t0 = time.monotonic()
    with pytest.raises(AgentFailure, match="ended during the test: killed by SIGABRT"):
        link.barrier(Barrier(b"probe", lambda frame: False), timeout=5.0)
    assert time.monotonic() - t0 < alive_for + 1.0  # not the barrier's 5 s


def test_a_barrier_to_a_live_process_still_times_out():
    link = ProcessLink(_SilentRing(), "nc-test", agent=_EndingAgent(60.0))
    with pytest.raises(LinkTimeout):
        link.barrier(Barrier(b"probe", lambda frame: False), timeout=0.2)

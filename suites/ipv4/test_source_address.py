"""RFC 1122 3.2.1.3 and 4.1.3.6: a datagram whose source address is not a valid individual host
address (0.0.0.0, loopback, limited or directed broadcast, multicast) is silently discarded;
one from a valid on-link host is delivered."""

import pytest

from conformance.author.templates import IPv4

from .addresses import directed_broadcast
from .udp_probe import bound_socket, probe_layers, received

INVALID = ["this-host-zero", "loopback", "limited-broadcast", "directed-broadcast", "multicast"]


def _source(endpoints, kind: str) -> str:
    return {
        "this-host-zero": "0.0.0.0",
        "loopback": "127.0.0.1",
        "limited-broadcast": "255.255.255.255",
        "directed-broadcast": directed_broadcast(endpoints),
        "multicast": "224.0.0.5",
        "valid-on-link-host": endpoints.spare_ipv4[0],
    }[kind]


@pytest.mark.requirement("RFC1122-3.2.1.3-MUST-src-martian",
                         "RFC1122-4.1.3.6-MUST-discard-invalid-source")
@pytest.mark.parametrize("source", INVALID)
def test_datagram_from_invalid_source_is_discarded(ex, dut, endpoints, source):
    fd = bound_socket(dut)
    ex.send(IPv4(src=_source(endpoints, source)), *probe_layers())
    ex.expect_nothing()
    assert received(dut, fd) is None, f"delivered a datagram from {_source(endpoints, source)}"


@pytest.mark.requirement("RFC768-MUST-deliver")
def test_datagram_from_valid_source_is_delivered(ex, dut, endpoints):
    fd = bound_socket(dut)
    ex.send(IPv4(src=_source(endpoints, "valid-on-link-host")), *probe_layers())
    ex.expect_nothing()
    assert received(dut, fd) == b"is this delivered?"

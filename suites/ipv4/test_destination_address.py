"""RFC 1122 3.2.1.3 and 3.3.6: a host accepts datagrams for its own address, the limited and
directed broadcast addresses and multicast groups it belongs to (all-hosts); it discards those
for other addresses (a host does not forward)."""

import pytest

from conformance.author.templates import Ether, IPv4

from .addresses import group_destinations
from .udp_probe import bound_socket, probe_layers, received


def _destination(endpoints, kind: str) -> tuple[str, str]:
    return {
        **group_destinations(endpoints),
        "own-address": (endpoints.dut_ipv4, endpoints.dut_mac),
        "other-on-link-host": (endpoints.spare_ipv4[1], endpoints.dut_mac),
        "off-link-host": ("198.19.255.1", endpoints.dut_mac),
        "unjoined-multicast": ("224.1.2.3", "01:00:5e:01:02:03"),
    }[kind]


ACCEPTED = {
    "own-address": "RFC768-MUST-deliver",
    "limited-broadcast": "RFC1122-3.3.6-MUST-recognize-broadcast",
    "directed-broadcast": "RFC1122-3.3.6-MUST-recognize-broadcast",
    "all-hosts-multicast": "RFC1122-3.3.6-MUST-recognize-broadcast",
}
DISCARDED = ["other-on-link-host", "off-link-host", "unjoined-multicast"]


@pytest.mark.parametrize(
    "destination",
    [pytest.param(k, marks=pytest.mark.requirement(v), id=k) for k, v in ACCEPTED.items()],
)
def test_datagram_for_this_host_is_delivered(ex, dut, endpoints, destination):
    fd = bound_socket(dut)
    ip, mac = _destination(endpoints, destination)
    ex.send(Ether(dst=mac), IPv4(dst=ip), *probe_layers())
    ex.expect_nothing()
    assert received(dut, fd) == b"is this delivered?"


@pytest.mark.requirement("RFC1122-3.2.1.3-MUST-dst-not-ours")
@pytest.mark.parametrize("destination", DISCARDED)
def test_datagram_for_another_host_is_discarded(ex, dut, endpoints, destination):
    fd = bound_socket(dut)
    ip, mac = _destination(endpoints, destination)
    ex.send(Ether(dst=mac), IPv4(dst=ip), *probe_layers())
    ex.expect_nothing()
    assert received(dut, fd) is None, f"delivered a datagram addressed to {ip}"

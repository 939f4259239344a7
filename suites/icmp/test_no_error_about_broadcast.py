"""RFC 1122 3.2.2: no ICMP error is sent about a datagram destined to an IP broadcast or
multicast address, nor about one sent as a link-layer broadcast, nor about one whose source is
not a single host. (A UDP datagram to a closed port is the trigger: to the unicast address it
gets a Port Unreachable, see udp/test_closed_port.py.)"""

import pytest

from conformance.author.templates import UDP, Ether, ICMPv4, IPv4, Payload

from ..ipv4.addresses import ALL_HOSTS, BROADCAST_MAC, group_destinations


def _case(endpoints, name: str) -> tuple[str, str, str | None]:
    groups = group_destinations(endpoints)
    return {
        "ip-limited-broadcast": (*groups["limited-broadcast"], None),
        "ip-directed-broadcast": (*groups["directed-broadcast"], None),
        "ip-multicast": (*groups["all-hosts-multicast"], None),
        "link-broadcast": (endpoints.dut_ipv4, BROADCAST_MAC, None),
        "link-multicast": (endpoints.dut_ipv4, ALL_HOSTS[1], None),
        "source-zero": (endpoints.dut_ipv4, endpoints.dut_mac, "0.0.0.0"),
        "source-multicast": (endpoints.dut_ipv4, endpoints.dut_mac, "224.0.0.9"),
    }[name]


IP_LEVEL = ["ip-limited-broadcast", "ip-directed-broadcast", "ip-multicast"]
LINK_LEVEL = ["link-broadcast", "link-multicast"]
BAD_SOURCE = ["source-zero", "source-multicast"]
REQS = {**{k: "RFC1122-3.2.2-MUST-NOT-error-to-broadcast" for k in IP_LEVEL},
        **{k: "RFC1122-3.2.2-MUST-NOT-error-link-broadcast" for k in LINK_LEVEL},
        **{k: "RFC1122-3.2.2-MUST-NOT-error-source-not-single-host" for k in BAD_SOURCE}}


@pytest.mark.parametrize(
    "case", [pytest.param(k, marks=pytest.mark.requirement(v), id=k) for k, v in REQS.items()]
)
def test_no_port_unreachable_for_broadcast_datagrams(ex, endpoints, case):
    ip, mac, src = _case(endpoints, case)
    ex.send(Ether(dst=mac), IPv4(dst=ip, src=src), UDP(src_port=40000, dst_port=9),
            Payload(b"closed port"))
    ex.expect_nothing(ICMPv4())

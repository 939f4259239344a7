"""Duplicate Address Detection on the DUT (RFC 4862 5.4) for the suites: an address added to
the DUT's link for one test, DAD turned on for it with per-test sysctls (the harness runs
with it off, principle 8): accept_dad 1, dad_transmits, the link's RetransTimer
(retrans_time_ms) and no start-up delay (router_solicitation_delay 0: Linux's
addrconf_dad_kick otherwise waits up to 1 s at random before the first solicitation)."""

from __future__ import annotations

from typing import Any

from conformance.author.answered import Probe, answered_probe
from conformance.author.before_bed import before_bed
from conformance.author.dut_address import add_dut_address
from conformance.author.family import IPV6
from conformance.author.templates import Ether, ICMPv6, IPv6
from reference_stack.wire import ndp
from reference_stack.wire.addr import ip6
from reference_stack.wire.frame import dissect
from reference_stack.wire.icmpv6 import ND_NEIGHBOR_SOLICIT

from ..ipv4.dut_sysctl import require_dut_sysctl, set_dut_sysctl
from .addresses import solicited_of, spare

RETRANS_MS = 200  # RetransTimer for these tests (RFC 4861 10: 1000 ms by default)
LINK = "<test-link>"  # conformance.fabric.namespaces.TEST_LINK
ACCEPT_DAD = (f"net.ipv6.conf.{LINK}.accept_dad", "1")
# A test module whose tests all start by turning DAD on (add_tentative): each is skipped
# before its bed is made where the target has no sysctls (conformance.author.before_bed).
TURNS_ON_DAD = before_bed(require_dut_sysctl, *ACCEPT_DAD)


def turn_on_dad(bed: Any, transmits: int, delay_s: int = 0) -> None:
    set_dut_sysctl(bed, *ACCEPT_DAD)
    set_dut_sysctl(bed, f"net.ipv6.conf.{LINK}.dad_transmits", str(transmits))
    set_dut_sysctl(bed, f"net.ipv6.conf.{LINK}.router_solicitation_delay", str(delay_s))
    set_dut_sysctl(bed, f"net.ipv6.neigh.{LINK}.retrans_time_ms", str(RETRANS_MS))


def add_tentative(bed: Any, endpoints: Any, host: int, transmits: int,
                  delay_s: int = 0) -> str:
    """Turn DAD on, add another address of the DUT's /64; returns it."""
    turn_on_dad(bed, transmits, delay_s)
    address = spare(endpoints, host)
    add_dut_address(bed, f"{address}/64")
    return address


def dad_solicitation(address: str) -> tuple:
    """RFC 4862 5.4.2: to the target's solicited-node group (and its MAC, RFC 2464 7), from
    the unspecified address, hop limit 255."""
    group, group_mac = solicited_of(address)
    return (Ether(dst=group_mac), IPv6(src="::", dst=group, hop_limit=255),
            ICMPv6(type=ND_NEIGHBOR_SOLICIT, code=0))


def expect_dad_solicitation(ex: Any, address: str, timeout: float = 3.0) -> ndp.NeighborSolicit:
    frame = ex.expect(*dad_solicitation(address), timeout=timeout)
    ns = ndp.from_icmp(frame.icmpv6)
    assert isinstance(ns, ndp.NeighborSolicit)
    assert ns.target == ip6(address)
    # RFC 4861 4.3: no Source Link-Layer Address option from the unspecified address.
    assert ndp.lladdr_option(ns.options, ndp.OPT_SOURCE_LLADDR) is None
    return ns


def solicitation_times(bed: Any, address: str) -> list[float]:
    """When each DAD solicitation for ``address`` arrived (the tester's capture times)."""
    target = ip6(address)
    times = []
    for record in bed.link.recorder.frames:
        if record.direction != "in":
            continue
        d = dissect(record.data)
        if (d.icmpv6 is not None and d.icmpv6.type == ND_NEIGHBOR_SOLICIT
                and d.ipv6.src == bytes(16) and d.icmpv6.payload[:16] == target):
            times.append(record.t)
    return times


def send_probe(ex: Any, bed: Any, address: str, seq: int) -> Probe:
    """A packet to ``address`` the DUT answers once the address is assigned: an echo
    request, or a datagram to a closed port where the DUT ignores echo requests
    (conformance/author/answered.py)."""
    probe = answered_probe(bed, 0x4E00 << 16 | seq, b"dad", IPV6)
    ex.send(IPv6(dst=address), *probe.request)
    return probe


def expect_answer(ex: Any, endpoints: Any, address: str, probe: Probe) -> None:
    """The probe's answer, from the address it went to (RFC 4443 2.2(a), 4.2)."""
    ex.expect(IPv6(src=address, dst=endpoints.tester_ipv6), *probe.answer)


def dad_done_s(transmits: int) -> float:
    """When DAD ends after the address is added (RetransTimer after the last solicitation),
    with a margin for a loaded machine (addrconf_dad_work runs on a workqueue: measured
    late by over 250 ms at a load average of 27 on 2 CPUs)."""
    return transmits * RETRANS_MS / 1000 + 0.6

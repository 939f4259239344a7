"""RFC 4861 7.2.2, 7.3.3: the neighbour cache's timers, shortened per test (RetransTimer 200 ms,
BaseReachableTime 400 ms, DELAY_FIRST_PROBE_TIME 1 s, MAX_MULTICAST_SOLICIT and
MAX_UNICAST_SOLICIT 2) and waited for explicitly. An unanswered resolution is retransmitted
every RetransTimer up to MAX_MULTICAST_SOLICIT, then fails (the entry goes: the next packet
resolves again). An entry a solicitation created (STALE) goes to DELAY as the answer leaves
through it, to PROBE after DELAY_FIRST_PROBE_TIME (unicast solicitations, MAX_UNICAST_SOLICIT of
them RetransTimer apart, from the link-local address: Linux sends none on a link without one,
LINUX-ndisc_send_ns-probe-link-local), then it is deleted and the next packet to the neighbour
resolves it afresh. The packets to the neighbour answer the tester's: echo requests, or where
the DUT ignores echo requests datagrams to a closed port (conformance/author/answered.py)."""

import pytest

from conformance.author.answered import answered_probe
from conformance.author.before_bed import before_bed
from conformance.author.dut_address import add_dut_address
from conformance.author.family import IPV6
from conformance.author.templates import Ether, ICMPv6, IPv6
from reference_stack.wire import ndp
from reference_stack.wire.addr import ip6, mac
from reference_stack.wire.icmpv6 import ND_NEIGHBOR_ADVERT, ND_NEIGHBOR_SOLICIT

from ..ipv4.dut_sysctl import require_dut_sysctl, set_dut_sysctl
from .addresses import solicited_of, spare
from .dad import LINK
from .nd import nd_layers, sll

RETRANS_S = 0.2
BASE_REACHABLE_S = 0.4
DELAY_FIRST_PROBE_S = 1
LINK_LOCAL = "fe80::1"
UCAST_SOLICIT = 2  # MAX_UNICAST_SOLICIT for these tests (RFC 4861 10: 3)
MARGIN_S = 0.3  # kernel timers (neigh_timer_handler) are late by a timer-wheel tick at most


RETRANS_TIME = (f"net.ipv6.neigh.{LINK}.retrans_time_ms", str(int(RETRANS_S * 1000)))
# (each test starts by shortening the timers: skipped before its bed where it cannot)
pytestmark = before_bed(require_dut_sysctl, *RETRANS_TIME)


def shorten_timers(bed, mcast_solicit=2, ucast_solicit=UCAST_SOLICIT,
                   delay_first_probe=DELAY_FIRST_PROBE_S):
    """Counts of 2 show "after the count" as well as the default 3 do, 200 ms sooner."""
    set_dut_sysctl(bed, *RETRANS_TIME)
    for key, value in (("base_reachable_time_ms", int(BASE_REACHABLE_S * 1000)),
                       ("delay_first_probe_time", delay_first_probe),
                       ("mcast_solicit", mcast_solicit), ("ucast_solicit", ucast_solicit)):
        set_dut_sysctl(bed, f"net.ipv6.neigh.{LINK}.{key}", str(value))


def _probe_from(ex, bed, source, seq):
    """A packet from ``source`` the DUT answers (to ``source``); returns the probe."""
    probe = answered_probe(bed, 0x4E01 << 16 | seq, b"nud", IPV6)
    ex.send(IPv6(src=source), *probe.request)
    return probe


def _expect_resolution(ex, endpoints, source):
    group, group_mac = solicited_of(source)
    frame = ex.expect(Ether(dst=group_mac),
                      IPv6(src=endpoints.dut_ipv6, dst=group, hop_limit=255),
                      ICMPv6(type=ND_NEIGHBOR_SOLICIT, code=0))
    assert ndp.from_icmp(frame.icmpv6).target == ip6(source)


@pytest.mark.requirement("RFC4861-7.2.2-MUST-solicit",
                         "RFC4861-7.2.2-SHOULD-retransmit-solicitation",
                         "RFC4861-7.2.2-MUST-resolution-failed")
@pytest.mark.parametrize("mcast_solicit", [1, 2])
def test_unanswered_resolution_is_retransmitted_then_fails(ex, bed, endpoints, mcast_solicit):
    shorten_timers(bed, mcast_solicit=mcast_solicit)
    source = spare(endpoints, 0x81)
    _probe_from(ex, bed, source, 1)
    for _ in range(mcast_solicit):
        _expect_resolution(ex, endpoints, source)
    ex.sleep(RETRANS_S + MARGIN_S)  # the last one's RetransTimer: resolution failed
    group, group_mac = solicited_of(source)
    ex.expect_nothing(Ether(dst=group_mac))
    _probe_from(ex, bed, source, 2)  # a new packet starts a new resolution
    _expect_resolution(ex, endpoints, source)


def _stale_entry(ex, endpoints, source):
    """RFC 4861 7.2.3: a solicitation from ``source`` with its link-layer address creates a
    STALE entry; the advertisement answering it goes out through it (7.3.3: DELAY)."""
    ex.send(*nd_layers(ndp.NeighborSolicit(ip6(endpoints.dut_ipv6), sll(endpoints)),
                       src=source))
    ex.expect(Ether(dst=endpoints.tester_mac), IPv6(src=endpoints.dut_ipv6, dst=source),
              ICMPv6(type=ND_NEIGHBOR_ADVERT))


@pytest.mark.requirement("RFC4861-7.3.3-MUST-stale-to-delay", "RFC4861-7.3.3-MUST-delay-to-probe",
                         "RFC4861-7.3.3-MUST-probe-unicast", "RFC4861-7.3.3-MUST-probe-failed")
def test_unconfirmed_neighbor_is_probed_then_deleted(ex, bed, endpoints):
    shorten_timers(bed)
    set_dut_sysctl(bed, f"net.ipv6.conf.{LINK}.dad_transmits", "0")
    add_dut_address(bed, f"{LINK_LOCAL}/64")  # the probes' source (Linux: ndisc_send_ns)
    source = spare(endpoints, 0x82)
    _stale_entry(ex, endpoints, source)
    for _ in range(UCAST_SOLICIT):  # DELAY_FIRST_PROBE_TIME after the answer: PROBE
        frame = ex.expect(Ether(dst=endpoints.tester_mac),
                          IPv6(dst=source, hop_limit=255),
                          ICMPv6(type=ND_NEIGHBOR_SOLICIT, code=0),
                          timeout=DELAY_FIRST_PROBE_S + 1.5)
        ns = ndp.from_icmp(frame.icmpv6)
        assert ns.target == ip6(source)
        assert ndp.lladdr_option(ns.options, ndp.OPT_SOURCE_LLADDR) == mac(endpoints.dut_mac)
    ex.sleep(RETRANS_S + MARGIN_S)  # no answer: the entry is deleted
    _probe_from(ex, bed, source, 3)
    _expect_resolution(ex, endpoints, source)


@pytest.mark.requirement("RFC4861-7.3.3-MUST-stale-to-delay", "RFC4861-7.3.3-MUST-delay-to-probe",
                         "RFC4861-7.3.3-MUST-probe-failed")
def test_unconfirmed_neighbor_deleted_after_probing(ex, bed, endpoints):
    """On the harness's link (no link-local address) Linux's probes are silent, but the
    entry is deleted as after unanswered ones: the next packet resolves it afresh."""
    shorten_timers(bed, ucast_solicit=1)  # one silent probe: deleted RetransTimer after it
    source = spare(endpoints, 0x83)
    _stale_entry(ex, endpoints, source)
    ex.sleep(DELAY_FIRST_PROBE_S + RETRANS_S + MARGIN_S)
    _probe_from(ex, bed, source, 4)
    _expect_resolution(ex, endpoints, source)


@pytest.mark.requirement("RFC4861-7.3.3-MUST-reachable-to-stale",
                         "RFC4861-7.3.3-MUST-stale-to-delay", "RFC4861-7.2.5-MUST-update-entry")
def test_reachable_entry_goes_stale_and_still_carries_packets(ex, bed, endpoints):
    """DELAY_FIRST_PROBE_TIME 0: when ReachableTime (at most 1.5 x BaseReachableTime, RFC 4861
    6.3.2) has passed, the entry is STALE (Linux too: nothing used it within that time); the
    next reply goes out at once with the cached address (STALE -> DELAY), no resolution."""
    shorten_timers(bed, delay_first_probe=0)
    source = spare(endpoints, 0x84)
    probe = _probe_from(ex, bed, source, 5)
    _expect_resolution(ex, endpoints, source)
    na = ndp.NeighborAdvert(ip6(source), solicited=True, override=True, options=(
        ndp.NdOptLinkAddr(ndp.OPT_TARGET_LLADDR, mac(endpoints.tester_mac)),))
    ex.send(*nd_layers(na, src=source))
    ex.expect(Ether(dst=endpoints.tester_mac), IPv6(dst=source), *probe.answer)
    ex.sleep(1.5 * BASE_REACHABLE_S + MARGIN_S)
    probe = _probe_from(ex, bed, source, 6)
    ex.expect(Ether(dst=endpoints.tester_mac), IPv6(dst=source), *probe.answer)
    group, group_mac = solicited_of(source)
    ex.expect_nothing(Ether(dst=group_mac))

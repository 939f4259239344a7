"""The probe a test sees the DUT's answer to (conformance/author/answered.py): the echo request
while the DUT answers echo requests of that family, otherwise a datagram to a closed port; and
the oracle, with the profile following the DUT's sysctls, answers whichever is sent as the
probe's answer template says (the lockstep predicts it either way)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from conformance.author.answered import CLOSED_PORT, answered_probe, ignores_echo
from conformance.author.family import IPV4, IPV6
from conformance.author.templates import IPv4, IPv6, IPv6Ext, LinkDefaults, build, matches
from conformance.judge.sysctls import profile_with_sysctls
from reference_stack.profiles import LINUX
from reference_stack.stack import ReferenceStack
from reference_stack.wire.addr import ip4, ip6, mac
from reference_stack.wire.frame import dissect
from reference_stack.wire.icmpv4 import ICMP_DEST_UNREACH, ICMP_ECHO_REQUEST, ICMP_PORT_UNREACH
from reference_stack.wire.icmpv6 import ICMP6_DST_UNREACH, ICMP6_ECHO_REQUEST, UNREACH_PORT
from reference_stack.wire.ipv6 import IPPROTO_DSTOPTS, IPPROTO_ICMPV6, IPPROTO_UDP
from reference_stack.wire.ipv6_ext import Ipv6OptionsHeader

ECHO4, ECHO6 = "net.ipv4.icmp_echo_ignore_all", "net.ipv6.icmp.echo_ignore_all"
DUT_MAC, TESTER_MAC = "02:00:00:00:00:01", "02:00:00:00:00:02"
DUT4, TESTER4 = "198.18.0.1", "198.18.0.2"
DUT6, TESTER6 = "2001:db8::1", "2001:db8::2"
LINK = LinkDefaults(TESTER_MAC, DUT_MAC, TESTER4, DUT4, TESTER6, DUT6)


def bed(sysctls: dict[str, str]) -> SimpleNamespace:
    return SimpleNamespace(oracle_profile=profile_with_sysctls(LINUX, sysctls)[0])


@pytest.mark.parametrize(("sysctls", "v4_echo", "v6_echo"), [
    ({}, True, True), ({ECHO6: "1"}, True, False), ({ECHO4: "1"}, False, True),
    ({ECHO4: "1", ECHO6: "1"}, False, False)])
def test_the_probe_follows_the_dut_per_family(sysctls, v4_echo, v6_echo):
    b = bed(sysctls)
    for family, echo in ((IPV4, v4_echo), (IPV6, v6_echo)):
        assert ignores_echo(b, family) is not echo
        probe = answered_probe(b, 0x4E430009, b"data", family)
        kinds = [layer.kind for layer in probe.request]
        if echo:
            assert kinds == [("ICMPv6" if family is IPV6 else "ICMPv4"), "Payload"]
            assert probe.request[0].fields["type"] in (ICMP_ECHO_REQUEST, ICMP6_ECHO_REQUEST)
            assert probe.answer[0].fields["rest"] == 0x4E430009
            assert probe.answer[1].fields["data"] == b"data"
        else:  # RFC 4443 3.1 / RFC 1122 4.1.3.1: a Port Unreachable for a closed port
            assert kinds == ["UDP", "Payload"] and probe.protocol == IPPROTO_UDP
            assert probe.request[0].fields["dst_port"] == CLOSED_PORT
            assert probe.request[0].fields["src_port"] == 40009  # the sequence's low bits
            want = ((ICMP6_DST_UNREACH, UNREACH_PORT) if family is IPV6
                    else (ICMP_DEST_UNREACH, ICMP_PORT_UNREACH))
            assert (probe.answer[0].fields["type"], probe.answer[0].fields["code"]) == want


def _oracle(b: SimpleNamespace) -> ReferenceStack:
    s = ReferenceStack(b.oracle_profile, mac(DUT_MAC), ip4(DUT4), 24, ipv6=ip6(DUT6))
    s.add_neighbor(ip4(TESTER4), mac(TESTER_MAC))
    s.add_neighbor(ip6(TESTER6), mac(TESTER_MAC))
    return s


@pytest.mark.parametrize("sysctls", [{}, {ECHO4: "1", ECHO6: "1"}], ids=["echo", "ignored"])
def test_the_oracle_answers_the_probe_through_extension_headers(sysctls):
    b = bed(sysctls)
    probe = answered_probe(b, 7, b"through", IPV6)
    assert probe.protocol == (IPPROTO_ICMPV6 if not sysctls else IPPROTO_UDP)
    options = IPv6Ext(Ipv6OptionsHeader(IPPROTO_DSTOPTS, probe.protocol))
    r = _oracle(b).receive(build((IPv6(), options, *probe.request), LINK), 0.0)
    (answer,) = r.frames
    assert matches((IPv6(src=DUT6, dst=TESTER6), *probe.answer), answer), dissect(answer)
    probe4 = answered_probe(b, 7, b"through", IPV4)
    (answer4,) = _oracle(b).receive(build((IPv4(), *probe4.request), LINK), 0.0).frames
    assert matches((IPv4(src=DUT4, dst=TESTER4), *probe4.answer), answer4), dissect(answer4)


def test_echo_is_not_answered_while_ignored():
    """(Why the probe changes: the oracle's linux profile ignores echo as the DUT does.)"""
    b = bed({ECHO6: "1"})
    echo = answered_probe(bed({}), 7, b"x", IPV6)
    assert not _oracle(b).receive(build((IPv6(), *echo.request), LINK), 0.0).frames

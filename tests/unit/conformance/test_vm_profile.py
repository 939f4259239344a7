"""The vm target's oracle profile follows what the VM's kernel has: an absent sysctl turns its
feature off, the IPsec modules decide ipv6_ipsec, an analysed release series brings its
choices, and any other series is judged as 6.18 and said to be so."""

from conformance.targets.vm_profile import SERIES_CHOICES, series, vm_profile
from reference_stack.profiles import LINUX

SYSCTLS_6_18 = {"net.ipv4.tcp_syn_linear_timeouts": "4"}


def test_debian_6_1_gets_its_choices_and_no_linear_syn_timeouts():
    profile, modelled = vm_profile("6.1.0-57-amd64", {}, ipv6_ipsec=True)
    assert modelled and profile.name == "linux"
    assert profile.syn_linear_timeouts == 0  # the sysctl is absent: exponential back-off
    assert profile.ipv6_ipsec and not LINUX.ipv6_ipsec
    for field, value in SERIES_CHOICES[(6, 1)].items():
        assert getattr(profile, field) == value != getattr(LINUX, field)


def test_the_host_series_is_the_linux_profile():
    profile, modelled = vm_profile("6.18.44-fc-v1252", SYSCTLS_6_18, ipv6_ipsec=False)
    assert modelled and profile == LINUX


def test_another_series_is_judged_as_6_18_and_flagged():
    profile, modelled = vm_profile("5.15.0", SYSCTLS_6_18, ipv6_ipsec=False)
    assert not modelled and profile == LINUX
    assert series("garbage") is None


def test_xfrm4_tunnel_loaded_takes_ipv4_protocols_4_and_41():
    profile, _ = vm_profile("6.1.0-57-amd64", {}, ipv6_ipsec=True, xfrm4_tunnel=True)
    assert profile.ipv4_tunnel_protocols == (4, 41) and not LINUX.ipv4_tunnel_protocols


def test_ah4_and_esp4_loaded_make_ipv4_ipsec_known():
    profile, _ = vm_profile("6.1.0-57-amd64", {}, ipv6_ipsec=True, ipv4_ipsec=True)
    assert profile.ipv4_ipsec and not LINUX.ipv4_ipsec

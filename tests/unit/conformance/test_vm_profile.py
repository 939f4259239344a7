"""The vm target's oracle profile follows what the VM's kernel has: an absent sysctl turns its
feature off, the IPsec modules decide ipv6_ipsec, an analysed release series brings its
choices, and any other series is judged as 6.18 and said to be so."""

from conformance.targets.vm_kernel import Kernel, build_config
from conformance.targets.vm_profile import SERIES_CHOICES, max_tcp_header, series, vm_profile
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


# The options netdevice.h's LL_MAX_HEADER and MAX_HEADER look at, as Debian's 6.1 config and
# the host's (6.18, none of them) set them.
DEBIAN_CONFIG = {"CONFIG_HYPERV_NET": "m", "CONFIG_WLAN": "y", "CONFIG_MAC80211_MESH": "y",
                 "CONFIG_AX25": "m", "CONFIG_NET_IPIP": "m", "CONFIG_NET_IPGRE": "m",
                 "CONFIG_IPV6_SIT": "m", "CONFIG_IPV6_TUNNEL": "m",
                 "CONFIG_X86_L1_CACHE_SHIFT": "6"}


def test_max_tcp_header_follows_the_build_configuration():
    assert max_tcp_header(DEBIAN_CONFIG) == 320  # LL_MAX_HEADER 128 (WLAN, mesh) + 48
    assert max_tcp_header({"CONFIG_X86_L1_CACHE_SHIFT": "6"}) == 192  # 128 + 32, aligned
    # (a module defines CONFIG_X_MODULE: defined(CONFIG_HYPERV_NET) needs it built in)
    assert max_tcp_header({"CONFIG_HYPERV_NET": "y"}) == 256
    assert max_tcp_header({"CONFIG_WLAN": "y"}) == 256  # 96 without mesh
    assert max_tcp_header({}) is None


def test_debian_6_1_send_buffer_sizes_from_its_config():
    profile, _ = vm_profile("6.1.0-57-amd64", {}, ipv6_ipsec=True, config=DEBIAN_CONFIG)
    # measured on the VM (SO_MEMINFO): sk_sndbuf 87040 at ESTABLISHED, 1380 octets queued
    # after a 100-octet send
    assert (profile.max_tcp_header, profile.skb_truesize) == (320, 1280)
    assert (LINUX.max_tcp_header, LINUX.skb_truesize) == (256, 832)
    # 6.3+ heads come from skb_small_head_cache: the truesize stays the linux profile's
    profile, _ = vm_profile("6.18.44", SYSCTLS_6_18, ipv6_ipsec=False, config=DEBIAN_CONFIG)
    assert (profile.max_tcp_header, profile.skb_truesize) == (320, 832)


def test_build_config_read_beside_the_image(tmp_path):
    boot = tmp_path / "boot"
    boot.mkdir()
    (boot / "vmlinuz-6.1.0-57-amd64").write_bytes(b"")
    (boot / "config-6.1.0-57-amd64").write_text("# comment\nCONFIG_WLAN=y\nCONFIG_X=\"a=b\"\n")
    config = build_config(Kernel(boot / "vmlinuz-6.1.0-57-amd64", None))
    assert config == {"CONFIG_WLAN": "y", "CONFIG_X": "\"a=b\""}
    tree = tmp_path / "linux" / "arch" / "x86" / "boot"
    tree.mkdir(parents=True)
    (tree / "bzImage").write_bytes(b"")
    assert build_config(Kernel(tree / "bzImage", None)) == {}
    (tmp_path / "linux" / ".config").write_text("CONFIG_HYPERV_NET=y\n")
    assert build_config(Kernel(tree / "bzImage", None)) == {"CONFIG_HYPERV_NET": "y"}


def test_virtio_net_without_tx_napi_holds_the_last_frame():
    held, _ = vm_profile("6.1.0-57-amd64", {}, ipv6_ipsec=True, napi_tx="N")
    freed, _ = vm_profile("6.1.0-57-amd64", {}, ipv6_ipsec=True, napi_tx="Y")
    assert held.nic_holds_last_frame and not freed.nic_holds_last_frame
    assert not LINUX.nic_holds_last_frame

"""The oracle's profile for the ``vm`` target: the ``linux`` profile (which models the host's
6.18), with the choices of the kernel the VM runs where its release series was analysed.

What a kernel has is read from the kernel itself where it can be: a sysctl the VM's DUT
namespace lacks turns its feature off (``tcp_syn_linear_timeouts``, 6.5+: none means SYN
retransmissions back off from the first, RFC 6298 5.5); ESP and AH over IPv6 are known when
the VM loaded esp6 and ah6; the send buffer's sizes follow the kernel's build configuration
(MAX_TCP_HEADER); virtio_net without TX NAPI holds the last frame it sent (the harness's
napi_tx=0, read back in the VM). What only the source tells is data per release series
(:data:`SERIES_CHOICES`), each entry naming the function of that series' source that makes the
choice (read in Debian's linux-source-6.1, 6.1.x) and measured on the VM; a series not listed
is judged as 6.18 and the run records that its choices are not modelled.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from reference_stack.profiles import LINUX, Profile
from reference_stack.tcp.send_buffer import SKB_SHINFO, SKB_STRUCT

# Per release series, the profile fields whose value differs from the linux profile's (6.18).
SERIES_CHOICES: dict[tuple[int, int], dict[str, Any]] = {
    (6, 1): {
        # tcp_ack, old_ack: "An old ACK can carry new data. Update TS.Recent before SACK
        # processing" (tcp_replace_ts_recent), as RFC 7323 4.3 does for any acceptable segment.
        "old_ack_skips_ts_recent": False,
        # tcp_inbound_md5_hash -> tcp_parse_md5sig_option returns NULL at broken framing or a
        # signature of the wrong length: only a well-formed unexpected signature is dropped.
        "auth_framing_checked": False,
        # tcp_validate_incoming has no tcp_disordered_ack_check (6.14+): a PAWS-rejected pure
        # ACK before RCV.NXT gets its duplicate ACK (RFC 7323 5.3 R1).
        "paws_old_ack_silent": False,
        # tcp_cwnd_test: "Don't be strict about the congestion window for the final FIN": a
        # lone FIN goes out with the congestion window full.
        "fin_obeys_cwnd": False,
        # tcp_sequence checks SEG.SEQ against the edge only (no TCP_INVALID_END_SEQUENCE,
        # 6.17+): text ending beyond the edge is queued whole while unread text waits.
        "beyond_edge_refused_while_queued": False,
        # tcp_validate_incoming: a PAWS-rejected segment, a SYN included, gets tcp_send_dupack
        # (no syn_challenge there): a SYN before RCV.NXT is reported in a D-SACK block.
        "paws_syn_dupack": True,
        # tcp_rcv_established: tcp_ack returns -SKB_DROP_REASON_TCP_ACK_UNSENT_DATA for an
        # ACK after SND.NXT and the segment is discarded without an ACK (the other states'
        # tcp_rcv_state_process: tcp_send_challenge_ack).
        "ack_unsent_silent_established": True,
        # decode_session6: nexthdr = nh[IP6CB(skb)->nhoff] but ports at offset
        # sizeof(struct ipv6hdr): after an extension header, the ports are its octets.
        "xfrm6_ports_after_fixed_header": True,
        # tcp_check_req has no tsecr_reject ("it would be not so bad idea to check
        # rcv_tsecr"): a segment to a request socket is judged by PAWS, its ACK field and the
        # window alone, whatever its TSecr (RFC 9293 3.10.7.4).
        "reqsk_tsecr_check": False,
    },
}

# Sysctls whose absence from the DUT means a feature the kernel does not have, and the profile
# field's value without it.
ABSENT_SYSCTLS: dict[str, tuple[str, Any]] = {
    "net.ipv4.tcp_syn_linear_timeouts": ("syn_linear_timeouts", 0),
}

RELEASE = re.compile(r"^(\d+)\.(\d+)")
SMALL_HEAD_CACHE = (6, 3)  # skb_small_head_cache: an skb head of its own size, not kmalloc's


def series(release: str) -> tuple[int, int] | None:
    m = RELEASE.match(release)
    return (int(m.group(1)), int(m.group(2))) if m else None


def max_tcp_header(config: dict[str, str]) -> int | None:
    """MAX_TCP_HEADER of a kernel built with ``config`` (None: no config to read):
    include/net/tcp.h L1_CACHE_ALIGN(128 + MAX_HEADER), netdevice.h's MAX_HEADER being
    LL_MAX_HEADER (128 with defined(CONFIG_HYPERV_NET), built in; 128 or 96 with CONFIG_WLAN
    or AX25 as mesh is built or not; else 32), 48 more with any IP tunnel driver."""
    if not config:
        return None

    def built_in(key: str) -> bool:  # defined(CONFIG_X): a module defines CONFIG_X_MODULE
        return config.get(key) == "y"

    def enabled(key: str) -> bool:  # IS_ENABLED(CONFIG_X)
        return config.get(key) in ("y", "m")

    if built_in("CONFIG_HYPERV_NET"):
        ll_max = 128
    elif built_in("CONFIG_WLAN") or enabled("CONFIG_AX25"):
        ll_max = 128 if built_in("CONFIG_MAC80211_MESH") else 96
    else:
        ll_max = 32
    tunnels = ("CONFIG_NET_IPIP", "CONFIG_NET_IPGRE", "CONFIG_IPV6_SIT", "CONFIG_IPV6_TUNNEL")
    max_header = ll_max + (48 if any(enabled(k) for k in tunnels) else 0)
    line = 1 << int(config.get("CONFIG_X86_L1_CACHE_SHIFT", "6"))
    return -(-(128 + max_header) // line) * line


def send_buffer_sizes(release: str, config: dict[str, str]) -> dict[str, int]:
    """The profile's send-buffer sizes where the kernel's build configuration gives them:
    max_tcp_header (tcp_sndbuf_expand's head per MSS), and before 6.3 skb_truesize, the
    truesize tcp_stream_alloc_skb gives an skb without payload: SKB_TRUESIZE(skb_end_offset)
    of a head of MAX_TCP_HEADER + skb_shared_info octets that __alloc_skb's kmalloc rounds up
    to a power of two (measured on Debian's 6.1, MAX_TCP_HEADER 320: 1380 octets queued
    after a 100-octet send, SO_MEMINFO). 6.3+ gives such heads a cache of their own
    (skb_small_head_cache): the linux profile's 832."""
    head = max_tcp_header(config)
    if head is None:
        return {}
    sizes = {"max_tcp_header": head}
    known = series(release)
    if known is not None and known < SMALL_HEAD_CACHE:
        sizes["skb_truesize"] = (1 << (head + SKB_SHINFO - 1).bit_length()) + SKB_STRUCT
    return sizes


# IPv4 protocols tunnel4 takes once xfrm4_tunnel is loaded (IPIP and IPv6-in-IPv4).
XFRM4_TUNNEL_PROTOCOLS = (4, 41)


def vm_profile(release: str, sysctls: dict[str, str], ipv6_ipsec: bool,
               xfrm4_tunnel: bool = False, ipv4_ipsec: bool = False,
               config: dict[str, str] | None = None, napi_tx: str | None = None
               ) -> tuple[Profile, bool]:
    """The profile for a VM running ``release`` whose DUT namespace has ``sysctls`` (as read
    there: an absent key is a missing feature); ``xfrm4_tunnel``: the module is loaded, so
    IPv4 protocols 4 and 41 have a handler (profile ipv4_tunnel_protocols); ``ipv4_ipsec``:
    ah4 and esp4 are loaded; ``config``: the kernel's build configuration (vm_kernel's
    build_config; the send buffer's sizes); ``napi_tx``: virtio_net's parameter as the VM
    reads it ("N": no TX NAPI, a sent skb is freed at the next transmission, so the NIC
    holds the last frame it sent: profile nic_holds_last_frame). True when the series'
    choices are modelled."""
    changes: dict[str, Any] = {"ipv6_ipsec": ipv6_ipsec, "ipv4_ipsec": ipv4_ipsec,
                               "nic_holds_last_frame": napi_tx == "N"}
    changes.update(send_buffer_sizes(release, config or {}))
    if xfrm4_tunnel:
        changes["ipv4_tunnel_protocols"] = XFRM4_TUNNEL_PROTOCOLS
    for key, (field, value) in ABSENT_SYSCTLS.items():
        if key not in sysctls:
            changes[field] = value
    known = series(release) in SERIES_CHOICES
    if known:
        changes.update(SERIES_CHOICES[series(release)])  # type: ignore[index]
    return dataclasses.replace(LINUX, **changes), known or series(release) == (6, 18)

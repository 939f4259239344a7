"""A test's IpsecConfig (reference_stack/ipsec/config.py) as Linux XFRM state: `ip xfrm`
commands run in the DUT's namespace (removed with it), the policies in the order given (so
equal priorities keep it, as the oracle's SPD does) and the SAs after them."""

from __future__ import annotations

import ipaddress

from conformance.fabric.namespaces import run_ip
from reference_stack.ipsec.config import (
    BYPASS,
    DISCARD,
    TUNNEL,
    Algorithm,
    IpsecConfig,
    Policy,
    SecurityAssociation,
    Selector,
    Template,
)

PROTO_NAMES = {6: "tcp", 17: "udp", 132: "sctp", 33: "dccp"}  # those `ip xfrm` takes ports of


def _selector(sel: Selector) -> list[str]:
    words = ["src", sel.src, "dst", sel.dst]
    if sel.proto:
        words += ["proto", PROTO_NAMES.get(sel.proto, str(sel.proto))]
        if sel.sport:
            words += ["sport", str(sel.sport)]
        if sel.dport:
            words += ["dport", str(sel.dport)]
    return words


def _template(t: Template) -> list[str]:
    words = ["tmpl"]
    if t.mode == TUNNEL:
        words += ["src", t.src, "dst", t.dst]
    words += ["proto", t.proto, "mode", t.mode, "reqid", str(t.reqid), "level", t.level]
    return words


def policy_command(policy: Policy) -> list[str]:
    words = ["xfrm", "policy", "add", *_selector(policy.selector), "dir", policy.direction,
             "priority", str(policy.priority)]
    if policy.action == DISCARD:
        return [*words, "action", "block"]
    words += ["action", "allow"]
    if policy.action != BYPASS:
        for template in policy.templates:
            words += _template(template)
    return words


def _key(algorithm: Algorithm) -> str:
    return "0x" + algorithm.key.hex() if algorithm.key else '""'


def state_command(sa: SecurityAssociation) -> list[str]:
    words = ["xfrm", "state", "add", "src", sa.src, "dst", sa.dst, "proto", sa.proto,
             "spi", f"{sa.spi:#x}", "mode", sa.mode, "reqid", str(sa.reqid),
             "replay-window", str(sa.replay_window)]
    if sa.esn:
        words += ["flag", "esn"]
    if sa.aead is not None:
        words += ["aead", f'"{sa.aead.name}"', _key(sa.aead), str(sa.aead.icv_bits)]
    else:
        if sa.enc is not None:
            words += ["enc", f'"{sa.enc.name}"', _key(sa.enc)]
        words += ["auth-trunc", f'"{sa.auth.name}"', _key(sa.auth), str(sa.auth.icv_bits)]
    if sa.selector is not None:
        words += ["sel", *_selector(sa.selector)]
    life = sa.lifetime
    limits = (("byte-soft", life.soft_bytes), ("byte-hard", life.hard_bytes),
              ("packet-soft", life.soft_packets), ("packet-hard", life.hard_packets))
    for name, value in limits:
        if value:
            words += ["limit", name, str(value)]
    if sa.oseq:
        words += ["replay-oseq", str(sa.oseq & 0xFFFFFFFF)]
        if sa.esn:
            words += ["replay-oseq-hi", str(sa.oseq >> 32)]
    if sa.replay_seq:
        words += ["replay-seq", str(sa.replay_seq & 0xFFFFFFFF)]
        if sa.esn:
            words += ["replay-seq-hi", str(sa.replay_seq >> 32)]
    return words


def batch(config: IpsecConfig) -> str:
    """The `ip -batch` script installing `config`."""
    lines = [policy_command(p) for p in config.policies]
    lines += [state_command(sa) for sa in config.sas]
    return "".join(" ".join(words) + "\n" for words in lines)


def install(netns_name: str, config: IpsecConfig) -> None:
    """Install `config` in a namespace (FabricError naming the command ip refused)."""
    run_ip(["-n", netns_name], batch(config))


def describe(config: IpsecConfig) -> dict:
    """JSON-safe: the configuration as the test's evidence shows it (keys left out)."""
    def sel(s: Selector | None) -> str | None:
        if s is None:
            return None
        return " ".join(_selector(s))
    return {
        "policies": [" ".join(policy_command(p)[3:]) for p in config.policies],
        "sas": [{"spi": f"{sa.spi:#x}", "src": sa.src, "dst": sa.dst, "mode": sa.mode,
                 "transform": (sa.aead.name if sa.aead else
                               f"{sa.enc.name if sa.enc else 'null'}+{sa.auth.name}"),
                 "esn": sa.esn, "replay_window": sa.replay_window, "selector": sel(sa.selector)}
                for sa in config.sas],
    }


def host_prefix(address: str) -> str:
    """An address as a one-host selector prefix (/32 or /128)."""
    ip = ipaddress.ip_address(address)
    return f"{ip}/{ip.max_prefixlen}"

"""MIB counters of a network namespace and their per-test deltas.

Sources: ``/proc/net/snmp`` and ``/proc/net/netstat`` (pairs of header/value lines per group:
``Ip``, ``Icmp``, ``Tcp``, ``Udp``, ``TcpExt``, ``IpExt``, ...) and ``/proc/net/snmp6``
(one ``name value`` pair a line, grouped here under ``Ip6``/``Icmp6``/``Udp6``), and the XFRM
MIB of ``/proc/net/xfrm_stat`` (under ``Xfrm``: InNoStates, InTmplMismatch, OutPolBlock, ...).
"""

from __future__ import annotations

Counters = dict[str, dict[str, int]]


def parse_paired(text: str, into: Counters) -> None:
    lines = text.splitlines()
    for header, values in zip(lines[::2], lines[1::2], strict=False):
        group, _, names = header.partition(":")
        vgroup, _, nums = values.partition(":")
        if group != vgroup:
            continue
        bucket = into.setdefault(group, {})
        for name, num in zip(names.split(), nums.split(), strict=False):
            try:
                bucket[name] = int(num)
            except ValueError:
                pass


def parse_snmp6(text: str, into: Counters) -> None:
    for line in text.splitlines():
        parts = line.split()
        if len(parts) != 2 or not parts[1].lstrip("-").isdigit():
            continue
        name = parts[0]
        for group in ("Icmp6", "Udp6", "UdpLite6", "Ip6"):
            if name.startswith(group):
                into.setdefault(group, {})[name[len(group) :]] = int(parts[1])
                break


def parse_xfrm_stat(text: str, into: Counters) -> None:
    """``/proc/net/xfrm_stat``: one ``XfrmInNoStates  0`` pair a line (the XFRM MIB, with
    CONFIG_XFRM_STATISTICS), grouped under ``Xfrm``."""
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0].startswith("Xfrm") and parts[1].isdigit():
            into.setdefault("Xfrm", {})[parts[0][4:]] = int(parts[1])


SOURCES = (("snmp", parse_paired), ("netstat", parse_paired), ("snmp6", parse_snmp6),
           ("xfrm_stat", parse_xfrm_stat))
PAIRED = {"snmp", "netstat"}
Texts = dict[str, str]  # /proc/net file name -> its text


def read(ns: str) -> Texts:
    """The counters' files of ``ns``, unparsed (a test's start: read now, parse only what
    changed at its end, see text_delta)."""
    from conformance.fabric import netns  # (here: the gvisor agent parses, it enters nothing)

    texts: Texts = {}
    with netns.entered(ns):
        for name, _ in SOURCES:
            try:
                with open(f"/proc/thread-self/net/{name}") as f:
                    texts[name] = f.read()
            except FileNotFoundError:
                pass
    return texts


def parse(texts: Texts) -> Counters:
    counters: Counters = {}
    for name, parser in SOURCES:
        if name in texts:
            parser(texts[name], counters)
    return counters


def snapshot(ns: str) -> Counters:
    return parse(read(ns))


def _chunks(name: str, text: str) -> dict[str, str]:
    """A file's text by unit of parsing: header -> header and values lines (paired files), or
    counter name -> its line."""
    lines = text.splitlines()
    if name in PAIRED:
        return {h: f"{h}\n{v}" for h, v in zip(lines[::2], lines[1::2], strict=False)}
    return {line.split(maxsplit=1)[0]: line for line in lines if line.strip()}


def text_delta(before: Texts, after: Texts) -> Counters:
    """``delta(parse(before), parse(after))``, parsing only the lines that changed."""
    old_counters: Counters = {}
    new_counters: Counters = {}
    for name, parser in SOURCES:
        old, new = before.get(name, ""), after.get(name, "")
        if old == new:
            continue
        old_chunks, new_chunks = _chunks(name, old), _chunks(name, new)
        for key, chunk in new_chunks.items():
            if old_chunks.get(key) != chunk:
                parser(chunk, new_counters)
                if key in old_chunks:
                    parser(old_chunks[key], old_counters)
    return delta(old_counters, new_counters)


def delta(before: Counters, after: Counters) -> Counters:
    """Counters that changed, as after - before (gauges such as CurrEstab may go negative)."""
    out: Counters = {}
    for group, values in after.items():
        old = before.get(group, {})
        changed = {k: v - old.get(k, 0) for k, v in values.items() if v != old.get(k, 0)}
        if changed:
            out[group] = changed
    return out

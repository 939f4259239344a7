"""Frames of a test as JSON-safe rows for results.json (the report's packet ladder)."""

from __future__ import annotations

from typing import Any

from conformance.cli.esp_frames import esp_row
from conformance.fabric.pcap import FrameRecord
from reference_stack.wire import tcp as tcpw
from reference_stack.wire.frame import dissect

HEX_LIMIT = 256
ROW_LIMIT = 500


def frame_row(t0: float, rec: FrameRecord, ipsec: Any = None) -> dict[str, Any]:
    """`ipsec`: the test's IpsecConfig, to open its ESP frames (esp_frames.esp_row)."""
    d = dissect(rec.data)
    row: dict[str, Any] = {
        "t": round(rec.t - t0, 6), "dir": rec.direction, "summary": d.summary(),
        "proto": "", "flags": "", "seq": None, "ack": None, "len": 0,
        "hex": rec.data[:HEX_LIMIT].hex(),
    }
    if d.tcp is not None:
        row.update(proto="TCP", flags=tcpw.flags_str(d.tcp.flags), seq=d.tcp.seq, ack=d.tcp.ack,
                   len=len(d.tcp.payload))
    elif d.udp is not None:
        row.update(proto="UDP", len=len(d.udp.payload))
    elif d.icmpv4 is not None:
        row.update(proto="ICMP", len=len(d.icmpv4.payload))
    elif d.icmpv6 is not None:
        row.update(proto="ICMPv6", len=len(d.icmpv6.payload))
    elif d.arp is not None:
        row.update(proto="ARP")
    elif (esp := esp_row(ipsec, d)) is not None:
        row.update(proto="ESP", esp=esp, len=len((d.ipv4 or d.ipv6).payload))
    elif d.ipv4 is not None:
        row.update(proto="IPv4", len=len(d.ipv4.payload))
    elif d.ipv6 is not None:
        row.update(proto="IPv6", len=len(d.ipv6.payload))
    elif d.eth is not None:
        row.update(proto=f"0x{d.eth.ethertype:04x}")
    return row


def frames_json(records: list[FrameRecord], ipsec: Any = None) -> list[dict[str, Any]]:
    if not records:
        return []
    t0 = records[0].t
    return [frame_row(t0, rec, ipsec) for rec in records[:ROW_LIMIT]]

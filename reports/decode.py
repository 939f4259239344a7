"""Decode the start of an Ethernet frame (the ``hex`` of a results.json frame row) for display.

Standard library only: the report is a leaf and must not share the harness's parser. Decodes
Ethernet, IPv4, IPv6 (with its extension headers), TCP (flags, sequence numbers, options),
UDP, ICMPv4 and ICMPv6 including NDP. Anything short or unknown ends the decoding quietly:
the fields decoded so far are kept.
"""

from __future__ import annotations

import ipaddress
import struct
from dataclasses import dataclass

ETH_IPV4, ETH_IPV6, ETH_ARP, ETH_VLAN = 0x0800, 0x86DD, 0x0806, 0x8100
IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP, IPPROTO_ICMPV6 = 6, 17, 1, 58
# RFC 8200 4.1: extension headers with the common (next header, length in 8 octets) shape;
# the fragment header (44) has a fixed 8 octets.
IPV6_EXTENSIONS = {0: "hop-by-hop", 43: "routing", 60: "dest-opts"}
IPV6_FRAGMENT = 44
TCP_FLAGS = "FSRPAUEC"  # bit 0 (FIN) to bit 7 (CWR), RFC 9293 3.1 and RFC 3168 6.1
ICMPV6_TYPES = {  # RFC 4443 2.1, RFC 4861 4, RFC 2710 3 and RFC 3810 5 (MLD)
    1: "dest-unreach", 2: "packet-too-big", 3: "time-exceeded", 4: "param-problem",
    128: "echo-request", 129: "echo-reply", 130: "MLD query", 131: "MLD report",
    132: "MLD done", 133: "NDP RS", 134: "NDP RA", 135: "NDP NS", 136: "NDP NA",
    137: "NDP redirect", 143: "MLDv2 report",
}
ICMPV4_TYPES = {0: "echo-reply", 3: "dest-unreach", 8: "echo-request", 11: "time-exceeded",
                12: "param-problem"}


@dataclass(frozen=True)
class Decoded:
    network: str = ""  # "IPv4", "IPv6", "ARP" or ""
    src: str = ""
    dst: str = ""
    proto: str = ""  # "TCP", "UDP", "ICMP", "ICMPv6" or ""
    sport: int | None = None
    dport: int | None = None
    flags: str = ""
    seq: int | None = None
    ack: int | None = None
    length: int | None = None
    options: tuple[str, ...] = ()  # TCP options, e.g. ("mss=1460", "sackOK", "ts=1/0")
    detail: str = ""  # an ICMP type, an NDP target


def decode_hex(text: object) -> Decoded | None:
    """Decode a frame row's ``hex``; None when it is absent or not hexadecimal."""
    if not isinstance(text, str) or not text:
        return None
    try:
        data = bytes.fromhex(text)
    except ValueError:
        return None
    return decode(data)


def decode(frame: bytes) -> Decoded:
    if len(frame) < 14:
        return Decoded()
    ethertype = struct.unpack_from("!H", frame, 12)[0]
    offset = 14
    if ethertype == ETH_VLAN and len(frame) >= 18:
        ethertype, offset = struct.unpack_from("!H", frame, 16)[0], 18
    if ethertype == ETH_IPV4:
        return _ipv4(frame[offset:])
    if ethertype == ETH_IPV6:
        return _ipv6(frame[offset:])
    if ethertype == ETH_ARP:
        return Decoded(network="ARP")
    return Decoded()


def _ipv4(packet: bytes) -> Decoded:
    if len(packet) < 20 or packet[0] >> 4 != 4:
        return Decoded()
    header_len = (packet[0] & 0x0F) * 4
    total, frag = struct.unpack_from("!H2xH", packet, 2)
    src, dst = (str(ipaddress.IPv4Address(packet[i:i + 4])) for i in (12, 16))
    body = packet[header_len:total] if header_len <= total <= len(packet) else packet[header_len:]
    if frag & 0x1FFF:  # RFC 791 3.2: a later fragment has no transport header
        return Decoded("IPv4", src, dst, detail=f"fragment offset {(frag & 0x1FFF) * 8}")
    return _transport(Decoded("IPv4", src, dst), packet[9], body)


def _ipv6(packet: bytes) -> Decoded:
    if len(packet) < 40 or packet[0] >> 4 != 6:
        return Decoded()
    payload_len, next_header = struct.unpack_from("!HB", packet, 4)
    src, dst = (str(ipaddress.IPv6Address(packet[i:i + 16])) for i in (8, 24))
    base = Decoded("IPv6", src, dst)
    body = packet[40:40 + payload_len]
    while next_header in IPV6_EXTENSIONS or next_header == IPV6_FRAGMENT:
        if len(body) < 8:
            return base
        if next_header == IPV6_FRAGMENT:
            offset = struct.unpack_from("!H", body, 2)[0] >> 3
            if offset:  # RFC 8200 4.5: only the first fragment holds the upper-layer header
                return Decoded("IPv6", src, dst, detail=f"fragment offset {offset * 8}")
            next_header, body = body[0], body[8:]
        else:
            next_header, body = body[0], body[(body[1] + 1) * 8:]
    return _transport(base, next_header, body)


def _transport(base: Decoded, protocol: int, body: bytes) -> Decoded:
    fields = base.__dict__.copy()
    if protocol == IPPROTO_TCP and len(body) >= 20:
        sport, dport, seq, ack, offset_byte, flag_bits = struct.unpack_from("!HHIIBB", body)
        header_len = (offset_byte >> 4) * 4
        fields.update(proto="TCP", sport=sport, dport=dport, seq=seq, ack=ack,
                      flags=_flags(flag_bits), length=max(len(body) - header_len, 0),
                      options=tcp_options(body[20:header_len]))
    elif protocol == IPPROTO_UDP and len(body) >= 8:
        sport, dport, length = struct.unpack_from("!HHH", body)
        fields.update(proto="UDP", sport=sport, dport=dport, length=max(length - 8, 0))
    elif protocol == IPPROTO_ICMP and len(body) >= 4:
        fields.update(proto="ICMP", detail=_icmp_detail(ICMPV4_TYPES, body),
                      length=len(body) - 8 if len(body) >= 8 else 0)
    elif protocol == IPPROTO_ICMPV6 and len(body) >= 4:
        fields.update(proto="ICMPv6", detail=_icmpv6_detail(body))
    else:
        fields.update(detail=f"protocol {protocol}")
    return Decoded(**fields)


def _flags(bits: int) -> str:
    return "".join(name for i, name in enumerate(TCP_FLAGS) if bits >> i & 1)


def tcp_options(data: bytes) -> tuple[str, ...]:
    """RFC 9293 3.2 option list (kind, length, value); RFC 7323, RFC 2018 for TS, WS, SACK."""
    options, i = [], 0
    while i < len(data):
        kind = data[i]
        if kind == 0:  # end of the option list; the rest is padding
            break
        if kind == 1:
            options.append("nop")
            i += 1
            continue
        if i + 1 >= len(data) or data[i + 1] < 2 or i + data[i + 1] > len(data):
            options.append(f"bad-option kind={kind}")
            break
        value = data[i + 2:i + data[i + 1]]
        options.append(_option(kind, value))
        i += data[i + 1]
    return tuple(name for name in options if name != "nop")  # NOPs only align


def _option(kind: int, value: bytes) -> str:
    if kind == 2 and len(value) == 2:
        return f"mss={struct.unpack('!H', value)[0]}"
    if kind == 3 and len(value) == 1:
        return f"ws={value[0]}"
    if kind == 4 and not value:
        return "sackOK"
    if kind == 5 and len(value) % 8 == 0:
        blocks = struct.unpack(f"!{len(value) // 4}I", value)
        return "sack=" + ",".join(f"{a}-{b}" for a, b in zip(blocks[::2], blocks[1::2],
                                                              strict=True))
    if kind == 8 and len(value) == 8:
        return "ts={}/{}".format(*struct.unpack("!II", value))
    return f"opt{kind}({len(value)})"


def _icmp_detail(names: dict[int, str], body: bytes) -> str:
    kind, code = body[0], body[1]
    name = names.get(kind, f"type {kind}")
    return name if code == 0 else f"{name} code {code}"


def _icmpv6_detail(body: bytes) -> str:
    detail = _icmp_detail(ICMPV6_TYPES, body)
    # RFC 4861 4.3 (NS), 4.4 (NA), 4.5 (redirect): the target address follows 4 octets
    if body[0] in (135, 136, 137) and len(body) >= 24:
        detail += f" target {ipaddress.IPv6Address(body[8:24])}"
    if body[0] == 136 and len(body) >= 8:
        flags = "".join(n for bit, n in ((0x80, "R"), (0x40, "S"), (0x20, "O")) if body[4] & bit)
        detail += f" [{flags}]" if flags else ""
    if body[0] == 2 and len(body) >= 8:  # RFC 4443 3.2
        detail += f" mtu={struct.unpack_from('!I', body, 4)[0]}"
    if body[0] in (128, 129) and len(body) >= 8:  # RFC 4443 4.1, 4.2
        ident, seq = struct.unpack_from("!HH", body, 4)
        detail += f" id={ident} seq={seq}"
    return detail

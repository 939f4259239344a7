"""boofuzz request models for IPv6 (RFC 8200), its extension headers, ICMPv6 (RFC 4443) and
Neighbor Discovery (RFC 4861), for ``netconform fuzz --engine boofuzz --family ipv6``: the
IPv6 header's fields, a Hop-by-Hop header's options, a Routing header's and a Fragment
header's fields, ICMPv6 messages and a Neighbor Solicitation, each model carrying an ICMPv6
echo request (or the message fuzzed) whose checksum covers the RFC 8200 8.1 pseudo-header.
The addresses are never fuzzed (the oracle and the target must both take the packet as the
tester's)."""

from __future__ import annotations

from boofuzz import Block, Bytes, Checksum, Request, Size

from fuzz.boofuzz_fast import Byte, CountedRequest, DWord, Word
from fuzz.strategies_ipv6 import Link6
from reference_stack.wire.checksum import internet_checksum, pseudo_header_sum
from reference_stack.wire.ipv6 import (
    IPPROTO_FRAGMENT,
    IPPROTO_HOPOPTS,
    IPPROTO_ICMPV6,
    IPPROTO_ROUTING,
    IPPROTO_UDP,
)

BIG = ">"


def _checksum(link: Link6, protocol: int, dst: bytes | None = None):
    """RFC 8200 8.1: the upper-layer checksum over the pseudo-header (addresses, length,
    next header), computed over the rendered upper-layer block."""
    dst = link.dut_ip if dst is None else dst

    def checksum(data: bytes) -> bytes:
        initial = pseudo_header_sum(link.tester_ip, dst, protocol, len(data))
        return internet_checksum(data, initial).to_bytes(2, "big")
    return checksum


def _echo(link: Link6, fuzzable: bool) -> Block:
    """An ICMPv6 echo request (RFC 4443 4.1)."""
    return Block("icmpv6", children=(
        Byte("type", 128, fuzzable=fuzzable), Byte("code", 0, fuzzable=fuzzable),
        Checksum("checksum", block_name="icmpv6", algorithm=_checksum(link, IPPROTO_ICMPV6),
                 length=2, endian=BIG, fuzzable=fuzzable),
        DWord("rest", 0x4E430001, endian=BIG, fuzzable=fuzzable),
        Bytes("data", b"netconform", max_len=64, fuzzable=fuzzable),
    ))


def _packet(name: str, link: Link6, next_header: int, payload: tuple, fuzz_header: bool = False,
            hop_limit: int = 64, dst: bytes | None = None) -> Request:
    """RFC 8200 3: version, traffic class, flow label (one DWord), the payload length a Size
    of the payload block, next header, hop limit, the addresses."""
    return CountedRequest(name, children=(Block("ipv6", children=(
        DWord("version-class-flow", 0x60000000, endian=BIG, fuzzable=fuzz_header),
        Size("payload-length", block_name="payload", length=2, endian=BIG, inclusive=False,
             fuzzable=fuzz_header),
        Byte("next-header", next_header, fuzzable=fuzz_header),
        Byte("hop-limit", hop_limit, fuzzable=fuzz_header),
        Bytes("src", link.tester_ip, size=16, fuzzable=False),
        Bytes("dst", link.dut_ip if dst is None else dst, size=16, fuzzable=False),
        Block("payload", children=payload),
    )),))


def requests6(link: Link6) -> list[Request]:
    """The IPv6 models: the header, Hop-by-Hop options, Routing, Fragment, ICMPv6, a Neighbor
    Solicitation, UDP."""
    header = _packet("ipv6-model", link, IPPROTO_ICMPV6, (_echo(link, False),),
                     fuzz_header=True)
    hop_by_hop = _packet("ipv6-hbh-model", link, IPPROTO_HOPOPTS, (
        Block("hbh", children=(
            Byte("next-header", IPPROTO_ICMPV6),
            Byte("hdr-ext-len", 0),
            Bytes("options", bytes((1, 4, 0, 0, 0, 0)), size=6),  # PadN of four
        )), _echo(link, False)))
    routing = _packet("ipv6-routing-model", link, IPPROTO_ROUTING, (
        Block("routing", children=(
            Byte("next-header", IPPROTO_ICMPV6),
            Byte("hdr-ext-len", 0),
            Byte("routing-type", 0),
            Byte("segments-left", 0),
            DWord("reserved", 0, endian=BIG),
        )), _echo(link, False)))
    fragment = _packet("ipv6-fragment-model", link, IPPROTO_FRAGMENT, (
        Block("fragment", children=(
            Byte("next-header", IPPROTO_ICMPV6),
            Byte("reserved", 0),
            Word("offset-m", 0, endian=BIG),  # an atomic fragment (RFC 6946)
            DWord("ident", 0x4E43, endian=BIG),
        )), _echo(link, False)))
    icmpv6 = _packet("icmpv6-model", link, IPPROTO_ICMPV6, (_echo(link, True),))
    solicitation = _packet("ndp-ns-model", link, IPPROTO_ICMPV6, (
        Block("ns", children=(
            Byte("type", 135), Byte("code", 0),
            Checksum("checksum", block_name="ns",
                     algorithm=_checksum(link, IPPROTO_ICMPV6), length=2,
                     endian=BIG),
            DWord("reserved", 0, endian=BIG),
            Bytes("target", link.dut_ip, size=16, fuzzable=False),
            Byte("opt-type", 1), Byte("opt-len", 1),
            Bytes("lladdr", link.tester_mac, size=6, fuzzable=False),
        )),), hop_limit=255)  # unicast (RFC 4861 7.2.4: reachability confirmation)
    udp = _packet("udp6-model", link, IPPROTO_UDP, (Block("udp", children=(
        Word("src-port", 40001, endian=BIG),
        Word("dst-port", 9, endian=BIG),
        Size("length", block_name="udp", length=2, endian=BIG),
        Checksum("checksum", block_name="udp", algorithm=_checksum(link, IPPROTO_UDP),
                 length=2, endian=BIG),
        Bytes("data", b"netconform", max_len=64),
    )),))
    return [header, hop_by_hop, routing, fragment, icmpv6, solicitation, udp]

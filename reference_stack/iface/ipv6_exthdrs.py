"""The rules of IPv6 extension headers a destination applies (RFC 8200 4.2 options, 4.4
Routing, RFC 5095 type 0), each returning a verdict, the rule applied and, for a Parameter
Problem, its code and pointer. No I/O: iface/ipv6.py acts on the verdicts."""

from __future__ import annotations

from dataclasses import dataclass

from reference_stack.profiles import Profile
from reference_stack.wire.icmpv6 import PARAM_HEADER_FIELD, PARAM_OPTION
from reference_stack.wire.ipv6_ext import Ipv6Routing
from reference_stack.wire.ipv6_options import (
    ACTION_DISCARD,
    ACTION_PARAM_PROBLEM,
    ACTION_PARAM_PROBLEM_UNICAST,
    ACTION_SKIP,
    OPT_JUMBO,
    OPT_PAD1,
    OPT_PADN,
    OPT_ROUTER_ALERT,
    action,
)

OK = "ok"
DROP = "drop"
PARAM = "param"  # discard and answer Parameter Problem

ROUTING_TYPE_SRH = 4  # RFC 8754
ROUTING_TYPE_RH2 = 2  # RFC 6275 6.4
ROUTING_TYPE_RPL = 3  # RFC 6554
OPT_IOAM = 0x31  # RFC 9486 (Linux IPV6_TLV_IOAM)
OPT_CALIPSO = 0x07  # RFC 5570 (Linux IPV6_TLV_CALIPSO)

RULE_OPTIONS_OK = "RFC8200-4.2-MUST-process-options"


@dataclass(frozen=True, slots=True)
class Verdict:
    outcome: str
    rule: str
    detail: str = ""
    code: int = 0
    pointer: int = 0
    action: int | None = None  # the unrecognised option's action bits (RFC 4443 2.4(e))


def _walk(area: bytes) -> list[tuple[int, int, bytes]]:
    """(offset, type, data) of each option of a well-framed area (the codec's framing)."""
    out, i, n = [], 0, len(area)
    while i < n:
        if area[i] == OPT_PAD1:
            out.append((i, OPT_PAD1, b""))
            i += 1
            continue
        if i + 1 >= n or i + 2 + area[i + 1] > n:
            out.append((i, -1, area[i:]))
            break
        out.append((i, area[i], area[i + 2 : i + 2 + area[i + 1]]))
        i += 2 + area[i + 1]
    return out


def options(raw_header: bytes, offset: int, dst_multicast: bool, hop_by_hop: bool,
            profile: Profile, payload_length: int | None = None) -> Verdict:
    """RFC 8200 4.2: each option in turn; an unrecognised one acts as its two high-order
    type bits say. ``raw_header`` holds the header's octets, ``offset`` its place in the
    packet (for the pointer); ``payload_length`` the IPv6 header's (RFC 2675 3)."""
    area = raw_header[2:]
    pad_run = 0
    skipped = False
    for at, opt_type, data in _walk(area):
        pointer = offset + 2 + at
        if opt_type == -1:
            # An option running past the header: Linux's ip6_parse_tlv drops the packet.
            return Verdict(DROP, "RFC8200-4.2-MUST-option-framing", "option past the header")
        if opt_type in (OPT_PAD1, OPT_PADN):
            pad_run += 1 if opt_type == OPT_PAD1 else 2 + len(data)
            if profile.ipv6_padn_checks and pad_run > 7:
                # Linux ip6_parse_tlv: more than 7 consecutive padding octets is not padding
                # (RFC 4942 2.1.9.5 recommends the check; RFC 8200 4.2 asks only to skip).
                return Verdict(DROP, "LINUX-ip6_parse_tlv-padding-too-long",
                               f"{pad_run} padding octets")
            if profile.ipv6_padn_checks and any(data):
                return Verdict(DROP, "LINUX-ip6_parse_tlv-padn-nonzero", "PadN data not zero")
            continue
        pad_run = 0
        if hop_by_hop and opt_type == OPT_JUMBO and profile.jumbograms:
            verdict = _jumbo(data, pointer, payload_length, profile)
            if verdict is not None:
                return verdict
            continue
        if hop_by_hop and profile.ipv6_hbh_ioam_calipso and opt_type in (OPT_IOAM,
                                                                         OPT_CALIPSO):
            verdict = _linux_hop_option(opt_type, data, pointer)
            if verdict is not None:
                return verdict
            continue
        if hop_by_hop and opt_type == OPT_ROUTER_ALERT:
            if profile.router_alert_length_check and len(data) != 2:
                # Linux ipv6_hop_ra drops a Router Alert whose length is not 2 (RFC 2711 2.1's
                # format) silently; RFC 2711 names no error for it.
                return Verdict(DROP, "LINUX-ipv6_hop_ra-wrong-length",
                               f"router alert of {len(data)} octets")
            continue  # RFC 2711: a recognised Hop-by-Hop option
        bits = action(opt_type)
        detail = f"unrecognised option {opt_type:#04x}"
        # RFC 8200 4.2: the action of the two highest-order bits of the option type.
        if bits == ACTION_SKIP:
            skipped = True
            continue
        if bits == ACTION_DISCARD:
            return Verdict(DROP, "RFC8200-4.2-MUST-option-discard", detail)
        if bits == ACTION_PARAM_PROBLEM:
            return Verdict(PARAM, "RFC8200-4.2-MUST-option-param-problem", detail,
                           PARAM_OPTION, pointer, bits)
        if bits == ACTION_PARAM_PROBLEM_UNICAST:
            if dst_multicast:
                return Verdict(DROP, "RFC8200-4.2-MUST-option-param-problem-unicast",
                               detail + " to a multicast destination")
            return Verdict(PARAM, "RFC8200-4.2-MUST-option-param-problem-unicast", detail,
                           PARAM_OPTION, pointer, bits)
    return Verdict(OK, "RFC8200-4.2-MUST-option-skip" if skipped else RULE_OPTIONS_OK)


def _linux_hop_option(opt_type: int, data: bytes, pointer: int) -> Verdict | None:
    """Two Hop-by-Hop options Linux knows that RFC 8200 4.2 would skip as unrecognised (action
    00): IOAM (RFC 9486; ipv6_hop_ioam: dropped when not 4n-aligned, else ignored with
    ioam6_enabled = 0, the default) and CALIPSO (RFC 5570; ipv6_hop_calipso: dropped unless
    calipso_validate accepts it, which needs its CRC-16 and a length of 8 or more)."""
    if opt_type == OPT_IOAM:
        if pointer & 3:
            return Verdict(DROP, "LINUX-ipv6_hop_ioam-alignment", f"IOAM option at {pointer}")
        return None
    return Verdict(DROP, "LINUX-ipv6_hop_calipso-invalid",
                   f"CALIPSO option of {len(data)} octets not validated")


def _jumbo(data: bytes, pointer: int, payload_length: int | None,
           profile: Profile) -> Verdict | None:
    """RFC 2675 3: a Jumbo Payload option in a packet that is no jumbogram is an error:
    Parameter Problem code 0 at the Jumbo Payload Length when it is 65535 or less, at the
    option type when the IPv6 Payload Length is not zero (None: the option is fine)."""
    if profile.jumbo_option_checks and (len(data) != 4 or pointer & 3 != 2):
        # Linux ipv6_hop_jumbo: a wrong option length or alignment (4n + 2, RFC 2675 2) is
        # dropped silently; RFC 2675 names no error for it.
        return Verdict(DROP, "LINUX-ipv6_hop_jumbo-length-alignment",
                       f"jumbo option length {len(data)} at {pointer}")
    length = int.from_bytes(data[:4], "big")
    if len(data) == 4 and length <= 0xFFFF:
        return Verdict(PARAM, "RFC2675-3-MUST-jumbo-length-too-small",
                       f"jumbo payload length {length}", PARAM_HEADER_FIELD, pointer + 2)
    if payload_length:
        return Verdict(PARAM, "RFC2675-3-MUST-jumbo-with-payload-length",
                       f"payload length {payload_length} with a jumbo option",
                       PARAM_HEADER_FIELD, pointer)
    return None


def routing(header: Ipv6Routing, offset: int, profile: Profile) -> Verdict:
    """RFC 8200 4.4 for a destination: Segments Left 0 means ignore the header; otherwise an
    unrecognised Routing Type (type 0 included, RFC 5095 3) is a Parameter Problem code 0
    pointing at the type."""
    if header.routing_type == ROUTING_TYPE_SRH and profile.ipv6_srh_disabled:
        # Linux ipv6_srh_rcv: with net.ipv6.conf.*.seg6_enabled = 0 (the default) a Segment
        # Routing Header is dropped silently (before Segments Left is looked at), where RFC
        # 8200 4.4 would ignore it (Segments Left 0) or answer a Parameter Problem.
        return Verdict(DROP, "LINUX-ipv6_srh_rcv-seg6-disabled", "seg6_enabled = 0")
    if header.routing_type == ROUTING_TYPE_RPL and profile.ipv6_rpl_disabled:
        # Linux ipv6_rpl_srh_rcv: with net.ipv6.conf.*.rpl_seg_enabled = 0 (the default) an
        # RPL Source Route Header (RFC 6554) is dropped silently, whatever its Segments Left.
        return Verdict(DROP, "LINUX-ipv6_rpl_srh_rcv-rpl-disabled", "rpl_seg_enabled = 0")
    if header.segments_left == 0:
        return Verdict(OK, "RFC8200-4.4-MUST-ignore-segments-left-zero")
    rule = ("RFC5095-3-MUST-NOT-process-type-0" if header.routing_type == 0
            else "RFC8200-4.4-MUST-unrecognized-routing-type")
    return Verdict(PARAM, rule, f"routing type {header.routing_type}, segments left "
                   f"{header.segments_left}", PARAM_HEADER_FIELD, offset + 2)

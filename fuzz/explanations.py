"""Divergences analysed and explained: known differences between the oracle and Linux that are
not target bugs (gaps in the oracle, variance it does not model yet). Data, one entry per
signature; a finding matching one is still saved, and reported as explained, and does not fail
the campaign. Each was analysed from a saved finding (its pcap and decision record); the ones
that are oracle gaps are reported to the reference stack's owner.

Entries: (rule, state, response class) -> explanation; state "*" matches any state.
"""

from __future__ import annotations

from reference_stack.wire.frame import dissect

_OPTIONS_ECHOED = ("Linux copies the datagram's IP options (record route, timestamp) into its "
                   "reply or error (ip_options_echo; RFC 1122 3.2.2.6 SHOULD for echo); the "
                   "oracle predicts a reply without options (oracle gap)")
_OPTION_CHECKS = ("Linux rejects an IPv4 option the oracle accepts (e.g. a timestamp option of "
                  "flag 1/3 whose room is not a multiple of 8, a record route pointer below 4) "
                  "and answers Parameter Problem, or points at another octet (oracle gap in "
                  "RFC 791 option validation)")
_DSACK = ("Linux's duplicate ACK for an old segment carries a D-SACK block (RFC 2883 4); the "
          "oracle's has none (oracle gap)")

KNOWN: tuple[tuple[str, str, str, str], ...] = (
    ("RFC1122-3.2.2-MUST-silently-discard-unknown", "host", "unexpected:icmp:14",
     "Linux answers ICMP Timestamp requests (RFC 792; RFC 1122 3.2.2.8 MAY); the oracle "
     "treats type 13 as unknown (oracle gap)"),
    ("RFC1122-3.2.2.1-SHOULD-protocol-unreachable", "host", "field:ipv4", _OPTIONS_ECHOED),
    ("RFC1122-4.1.3.1-SHOULD-port-unreachable", "host", "field:ipv4", _OPTIONS_ECHOED),
    ("RFC1122-3.2.2.5-SHOULD-parameter-problem", "host", "field:icmpv4,field:ipv4",
     _OPTIONS_ECHOED),
    ("RFC1122-3.2.2.1-SHOULD-protocol-unreachable", "host", "field:icmpv4", _OPTION_CHECKS),
    ("RFC1122-4.1.3.1-SHOULD-port-unreachable", "host", "field:icmpv4", _OPTION_CHECKS),
    ("RFC1122-3.2.2.5-SHOULD-parameter-problem", "host", "field:icmpv4", _OPTION_CHECKS),
    ("LINUX-ip_rcv_options-accept_source_route", "host", "unexpected:icmp:12",
     "Linux validates every option (ip_options_compile) before applying accept_source_route, "
     "so a malformed option beside a source route earns a Parameter Problem; the oracle drops "
     "on the source route first (oracle ordering gap)"),
    ("RFC9293-3.10.7.4-MUST-first-check", "ESTABLISHED", "field:ipv4,field:tcp,field:tcp.opt",
     _DSACK),
    ("RFC7323-5.3-MUST-paws", "ESTABLISHED", "field:ipv4,field:tcp,field:tcp.opt", _DSACK),
    ("RFC9293-3.10.7.4-MUST-ack-text-fin", "ESTABLISHED", "field:ipv4,field:tcp,field:tcp.opt",
     _DSACK),
    ("RFC9293-3.10.7.4-MUST-first-check", "ESTABLISHED", "field:tcp.opt",
     "the D-SACK block of a duplicate FIN segment: Linux's right edge counts the FIN "
     "(end_seq), the oracle's stops at the data (oracle bug, RFC 2883 4 / RFC 9293 3.4)"),
    ("RFC9293-3.10.7.2-MUST-listen-syn", "LISTEN", "field:tcp",
     "a SYN with ECE and CWR is an ECN-setup SYN (RFC 3168 6.1.1); Linux (tcp_ecn=2) answers "
     "with ECE in its SYN,ACK, the oracle does not model ECN (oracle gap)"),
)


TCP_OPT_MD5 = 19
IPPROTO_IGMP = 2
_IGMP = ("protocol 2 is IGMP (RFC 1112), which Linux implements (igmp_rcv drops what it "
         "cannot parse); the oracle knows no IGMP and predicts Protocol Unreachable (oracle gap)")
_MD5 = ("the segment carries a TCP MD5 signature option (kind 19, RFC 2385) and the socket has "
        "no key: Linux drops it (tcp_inbound_hash, drop reason TCP_MD5UNEXPECTED), the oracle "
        "ignores the unknown option (oracle gap)")


def explain(signature: tuple[str, str, str],
            diverging_frame: bytes | None = None) -> str | None:
    """Why a divergence is not a target bug, if it was analysed: by its signature, or by the
    frame that diverged (``diverging_frame``, as sent)."""
    rule, state, response = signature
    for known_rule, known_state, known_response, why in KNOWN:
        if known_rule == rule and known_state in ("*", state) and known_response == response:
            return why
    if diverging_frame is None:
        return None
    if _only_missing(response, "tcp") and _has_md5(diverging_frame):
        return _MD5
    if response == "missing:icmp:3" and _ip_protocol(diverging_frame) == IPPROTO_IGMP:
        return _IGMP
    return None


def _ip_protocol(frame: bytes) -> int | None:
    ip = dissect(frame).ipv4
    return ip.protocol if ip is not None else None


def _only_missing(response: str, layer: str) -> bool:
    return all(part.startswith(f"missing:{layer}") for part in response.split(","))


def _has_md5(frame: bytes) -> bool:
    seg = dissect(frame).tcp
    return seg is not None and any(getattr(o, "kind", None) == TCP_OPT_MD5 for o in seg.options)

"""The TCP authentication options a profile checks on input before any state processing
(`tcp_inbound_hash`): the TCP MD5 signature option (RFC 2385, kind 19).

RFC 9293 3.1 (MUST-6) / RFC 1122 4.2.2.5: an option a TCP does not implement is ignored, and
an illegal option length is survived. Linux, built with TCP MD5, looks at the option area of
every segment that reaches a socket (a listener, a request socket or a connection; not the
TIME-WAIT minisocket) first (tcp_inbound_hash -> tcp_do_parse_auth_options):

* while at least 18 octets (TCPOLEN_MD5SIG) of the area remain, options are walked; a length
  below 2 or past the area, an MD5 option whose length is not 18, or a second MD5 option fails
  the parse: the segment is dropped (drop reason TCP_AUTH_HDR);
* a well-formed MD5 option on a socket without a key drops the segment (TCP_MD5UNEXPECTED);
* a segment for no socket gets no RST in either case (tcp_v4_send_reset returns: it could not
  sign one).

The oracle holds no MD5 keys, so a signature is always unexpected.
"""

from __future__ import annotations

from reference_stack.wire.tcp import TcpOptEol, TcpOptMalformed, TcpOptNop, TcpOptUnknown, TcpRepr

TCPOPT_MD5SIG = 19
TCPOLEN_MD5SIG = 18  # also the least option area tcp_do_parse_auth_options looks at
RULE_MD5 = "LINUX-tcp_inbound_hash-md5-unexpected"
RULE_AUTH_HDR = "LINUX-tcp_inbound_hash-auth-hdr"
RULE_NO_RST = "LINUX-tcp_v4_send_reset-auth-option"


def _length(option: object) -> int:
    return 1 if type(option) is TcpOptNop else len(option.emit())


def check(seg: TcpRepr, framing: bool = True) -> str | None:
    """The rule by which Linux's tcp_inbound_hash drops `seg` (no MD5 key anywhere), or None.
    ``framing`` False: an older kernel's tcp_parse_md5sig_option (6.1), which gives up at broken
    framing or a signature of the wrong length (no signature: not dropped) and stops at the
    first signature."""
    options = seg.options
    if not options:
        return None
    doff = seg.data_offset  # (set on every parsed segment; None on a Repr not yet emitted)
    if doff is not None and doff * 4 - 20 < TCPOLEN_MD5SIG:
        return None  # the option area doff gives, as Linux reads it: too short to look at
    lengths = [_length(o) for o in options]
    remaining = sum(lengths)
    md5 = False
    for option, length in zip(options, lengths, strict=True):
        if remaining < TCPOLEN_MD5SIG:
            break
        kind = type(option)
        if kind is TcpOptEol:
            break
        if kind is TcpOptMalformed:
            return RULE_AUTH_HDR if framing else None  # opsize < 2 || opsize > length: -EINVAL
        if kind is TcpOptUnknown and option.kind == TCPOPT_MD5SIG:
            if not framing:
                return RULE_MD5 if length == TCPOLEN_MD5SIG else None
            if length != TCPOLEN_MD5SIG or md5:
                return RULE_AUTH_HDR  # -EINVAL, or -EEXIST for a second signature
            md5 = True
        remaining -= length
    return RULE_MD5 if md5 else None

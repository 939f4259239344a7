"""Analyses of the lwip target's store (suites/expectations/lwip.toml ``analysis = ...``):
matches of fuzz findings that need sequence arithmetic (conformance.judge.store.Context).

Source locations are lwIP's STABLE-2_1_3_RELEASE tree.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from conformance.judge.store import Context
from reference_stack.variance import flatten
from reference_stack.wire.frame import dissect

FIN, SYN = 0x01, 0x02
HALF_SPACE = 1 << 31


def _segment_length(fields: Mapping[str, object]) -> int:
    """SEG.LEN (RFC 9293 3.4): the text and a SYN and a FIN each count one."""
    flags = int(fields["tcp.flags"])  # type: ignore[call-overload]
    return len(fields.get("tcp.payload", b"")) + bool(flags & SYN) + bool(flags & FIN)  # type: ignore[arg-type]


def insane_offset(ctx: Context) -> bool:
    """A segment of SEG.LEN 1 (one octet, or a FIN alone) at RCV.NXT + 2**31 on the
    canonical connection: src/core/tcp_in.c tcp_receive's trim test
    TCP_SEQ_BETWEEN(rcv_nxt, seqno + 1, seqno + tcplen - 1) compares in signed 32-bit
    arithmetic, so with tcplen 1 it holds for rcv_nxt - seqno = 2**31, and
    LWIP_ASSERT("insane offset!", off32 < 0xffff) aborts the process."""
    rcv_nxt = ctx.constants["tester_iss"] + 1
    frames = [ctx.canonical] + [frame for frame, _ in ctx.earlier]
    for frame in frames:
        if frame is None:
            continue
        fields = flatten(dissect(frame))
        if "tcp.seq" not in fields or "tcp.flags" not in fields:
            continue
        if (int(fields["tcp.seq"]) - rcv_nxt) % (1 << 32) == HALF_SPACE and \
                _segment_length(fields) == 1:
            return True
    return False


ANALYSES: Mapping[str, Callable[[Context], bool]] = {
    "tcp_receive-insane-offset": insane_offset,
}

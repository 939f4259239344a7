"""RFC 7323 5.3 (PAWS): a segment whose TSval is older than TS.Recent is not acceptable: it is
answered with an ACK and dropped (its text not delivered); a segment with a current TSval is
then accepted."""

import pytest

from .options import ts_option
from .states import reach

pytestmark = pytest.mark.families("ipv4", "ipv6")


@pytest.mark.requirement("RFC7323-5.3-MUST-paws")
@pytest.mark.parametrize("age", [2, 1000, 1 << 30])
@pytest.mark.needs(timestamps=True)
def test_segment_with_old_timestamp_is_acked_and_dropped(ex, dut, endpoints, age):
    peer = reach("ESTABLISHED", ex, dut, endpoints)
    peer.conn.ts_val += 10
    peer.send(b"fresh", flags="PA", advance=True)
    peer.expect_ack()
    ts_recent = peer.conn.ts_val - 1
    old = (ts_recent - age) & 0xFFFF_FFFF
    peer.send(b"replayed", flags="PA", options=ts_option(old, peer.conn.ts_recent))
    peer.expect_ack(immediate=True)  # (PAWS's answer to the segment it drops is immediate)
    assert dut.recv(peer.fd, 100) == b"fresh"
    value, err = dut.recv_with_errno(peer.fd, 100, 0)
    assert err != 0, f"PAWS let an old segment through: {value!r}"

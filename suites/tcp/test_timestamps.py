"""RFC 7323 3.2 and 4.3: the Timestamps option is sent in a SYN-ACK only if the SYN carried
it; once negotiated it is in every non-RST segment, TSecr echoes TS.Recent, and TSval comes
from a monotonic clock. A non-RST segment without it SHOULD be dropped."""

import pytest

from .options import syn_options
from .states import LISTEN_PORT, listen, reach


@pytest.mark.requirement(
    "RFC7323-3.2-MUST-ts-only-if-received",
    "RFC7323-3.2-MUST-tsecr-echoes-ts-recent",
)
@pytest.mark.parametrize("offered", [True, False], ids=["syn-with-ts", "syn-without-ts"])
def test_syn_ack_timestamps_follow_the_syn(ex, dut, endpoints, bed, offered):
    listen(dut, endpoints)
    conn = ex.tcp(dut_port=LISTEN_PORT, syn_options=syn_options(timestamps=offered))
    conn.ts_val = 0x1234_5678
    conn.send(flags="S")
    synack = conn.expect(flags="SA")
    # a DUT with timestamps off (net.ipv4.tcp_timestamps=0) never sends the option
    if offered and bed.oracle_profile.timestamps:
        assert synack.timestamps is not None and synack.timestamps[1] == 0x1234_5678
    else:
        assert synack.timestamps is None, synack.summary()
        conn.send(flags="A")
        conn.send(b"no timestamps", flags="PA")
        assert conn.expect(flags="A", ack=conn.snd_nxt).timestamps is None


@pytest.mark.requirement(
    "RFC7323-3.2-MUST-ts-in-every-segment",
    "RFC7323-3.2-MUST-tsecr-echoes-ts-recent",
    "RFC7323-4.3-MUST-tsval-monotonic",
)
@pytest.mark.families("ipv4", "ipv6")
@pytest.mark.needs(timestamps=True)
def test_every_segment_carries_timestamps_echoing_ts_recent(ex, dut, endpoints):
    peer = reach("ESTABLISHED", ex, dut, endpoints)
    seen = []
    for i in range(3):
        tsval = peer.conn.ts_val
        peer.send(b"ping %d" % i, flags="PA", advance=True)
        ack = peer.expect_ack()
        assert ack.timestamps is not None and ack.timestamps[1] == tsval, ack.summary()
        dut.send(peer.fd, b"pong %d" % i)
        data = peer.conn.expect_data(b"pong %d" % i)
        assert data.timestamps is not None, data.summary()
        seen += [ack.timestamps[0], data.timestamps[0]]
        peer.conn.ack()
    steps = [(b - a) & 0xFFFF_FFFF for a, b in zip(seen, seen[1:], strict=False)]
    assert all(step < 1 << 31 for step in steps), f"TSval went backwards: {seen}"


@pytest.mark.requirement("RFC7323-3.2-SHOULD-drop-missing-tsopt")
def test_segment_without_timestamps_is_dropped(ex, dut, endpoints):
    peer = reach("ESTABLISHED", ex, dut, endpoints)
    peer.send(b"no tsopt", flags="PA", options=())
    peer.conn.expect_nothing()
    value, err = dut.recv_with_errno(peer.fd, 100, 0)
    assert err != 0, f"the DUT accepted a segment without TSopt: {value!r}"

"""RFC 6864 4.1: a retransmitted TCP segment is a new IPv4 datagram; when it is atomic (DF set,
not a fragment, as a stack doing path MTU discovery sends, RFC 1191) its Identification may be
any value, equal to the original's or not. The test checks the datagram is atomic; the
Identification is the sender's choice, judged by the lockstep oracle with the profile's
policy (Linux: a per-connection counter).

Waits: the DUT's RTO (about 200 ms on Linux, at most 3 s)."""

import pytest

from .flight import data_segment, open_flight


@pytest.mark.requirement("RFC6864-4.1-MAY-atomic-id-any", "RFC6298-5.4-MUST-retransmit-earliest")
@pytest.mark.parametrize("by", ["rto", "fast-retransmit"])
def test_retransmission_is_an_atomic_datagram(ex, dut, endpoints, bed, by):
    f = open_flight(ex, dut, endpoints, bed, sack=False)
    if not bed.oracle_profile.tcp_df:
        pytest.skip("the DUT sends TCP without DF (no path MTU discovery): not atomic")
    f.write(4)
    f.take(4)
    if by == "fast-retransmit":
        for _ in range(3):
            f.ack(0)
    again = f.conn.expect_frame(flags=data_segment, timeout=3.0)
    assert again.tcp.seq == f.seq(0), again.summary()
    ip = again.ipv4
    assert ip is not None and ip.df and not ip.mf and ip.frag_offset == 0, again.summary()
    f.ack_all()

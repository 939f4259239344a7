"""RFC 6864 4.1: a retransmitted TCP segment is a new IPv4 datagram. When it is atomic (DF set,
not a fragment, as a stack doing path MTU discovery sends, RFC 1191) its Identification may be
any value, equal to the original's or not (judged by the lockstep oracle with the profile's
policy; Linux: a per-connection counter); when it is not (DF clear: a router may fragment
it), its Identification MUST NOT repeat the original's within an MSL.

IPv4 only by nature: the Identification field is IPv4's (RFC 791 3.1, RFC 6864); an IPv6
packet carries one only in a Fragment header (RFC 8200 4.5), which a TCP segment that fits the
path never has.

Waits: the DUT's RTO (about 200 ms on Linux, at most 3 s)."""

import pytest

from .flight import data_segment, open_flight


@pytest.mark.requirement(
    "RFC6864-4.1-MAY-atomic-id-any",
    "RFC6864-4.1-MUST-NOT-repeat-non-atomic-id",
    "RFC6298-5.4-MUST-retransmit-earliest",
)
@pytest.mark.parametrize("by", ["rto", "fast-retransmit"])
def test_retransmission_identification(ex, dut, endpoints, bed, by):
    f = open_flight(ex, dut, endpoints, bed, sack=False)
    f.first_flight(4)
    if by == "fast-retransmit":
        for _ in range(3):
            f.ack(0)
    again = f.conn.expect_frame(flags=data_segment, timeout=3.0)
    assert again.tcp.seq == f.seq(0), again.summary()
    ip = again.ipv4
    assert ip is not None and not ip.mf and ip.frag_offset == 0, again.summary()
    if not ip.df:  # not atomic: a fragment of it must not be taken for the original's
        assert ip.ident != f.idents[0], f"the same Identification again: {again.summary()}"
    f.ack_all()

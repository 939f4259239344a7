"""RFC 791 3.2 and RFC 1122 3.3.2: fragments of one datagram are reassembled whatever their
order; a duplicate fragment does no harm. Observed through the echo reply to a fragmented echo
request (its data returned whole), or where the DUT ignores echo requests the Port Unreachable
for a fragmented UDP datagram to a closed port (its checksum verified over the whole datagram:
conformance/author/answered.py)."""

import pytest

from conformance.author.answered import answered_probe
from conformance.author.templates import IPv4

from .fragments import fragment, send_all

DATA = bytes(i * 7 & 0xFF for i in range(1192))  # + 8 octets ICMP (or UDP) header = 1200
PIECES = [(0, 400), (400, 800), (800, 1200)]
ORDERS = {
    "in-order": [0, 1, 2],
    "reversed": [2, 1, 0],
    "last-first": [2, 0, 1],
    "middle-first": [1, 2, 0],
    "duplicate-first": [0, 0, 1, 2],
    "duplicate-middle": [0, 1, 1, 2],
    "duplicate-last-after-all": [0, 1, 2, 2],
}


@pytest.mark.requirement("RFC791-3.2-MUST-reassemble", "RFC1122-3.3.2-MUST-reassembly",
                         "RFC791-3.2-MUST-duplicate-fragment")
@pytest.mark.parametrize("order", ORDERS)
def test_fragmented_echo_request_is_reassembled(ex, endpoints, bed, order):
    probe = answered_probe(bed, 0x00420001, DATA)
    frames = fragment(ex, probe.request, [PIECES[i] for i in ORDERS[order]])
    send_all(ex, frames)
    ex.expect(IPv4(src=endpoints.dut_ipv4), *probe.answer)
    ex.expect_nothing(probe.answer[0])

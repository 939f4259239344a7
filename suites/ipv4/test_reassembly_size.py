"""RFC 1122 3.3.2: a host MUST reassemble datagrams of at least 576 octets (EMTU_R), and larger
ones up to its buffers. Observed on UDP datagrams delivered whole to a DUT socket."""

import socket

import pytest

from conformance.author.templates import UDP, Payload

from .fragments import even_pieces, fragment, send_all

PORT = 5353


@pytest.mark.requirement("RFC1122-3.3.2-MUST-reassemble-576", "RFC1122-3.3.2-MUST-reassembly")
@pytest.mark.parametrize("total", [576, 4000, 16000])
def test_large_fragmented_datagram_is_delivered(ex, dut, endpoints, total):
    fd = dut.socket(socket.AF_INET, socket.SOCK_DGRAM)
    dut.bind(fd, ("0.0.0.0", PORT))
    data = bytes(i & 0xFF for i in range(total - 28))
    frames = fragment(ex, (UDP(src_port=40000, dst_port=PORT), Payload(data)),
                      even_pieces(total - 20, 1480))
    send_all(ex, frames)
    got, _ = dut.recvfrom(fd, 65536)
    assert got == data

"""RFC 791 3.1 and RFC 1122 3.2.1.1-3.2.1.2: a datagram with a malformed header (IHL below 5,
IHL beyond the total length, total length below the header or beyond the frame, bad header
checksum) is silently discarded: nothing is delivered and nothing is answered."""

import pytest

from conformance.author.templates import IPv4

from .udp_probe import bound_socket, probe_layers, received

FRAME_IP_LEN = 20 + 8 + 18  # IP header + UDP header + probe data

MALFORMED = {
    "ihl-0": (dict(ihl=0), ["RFC791-3.1-MUST-ihl"]),
    "ihl-4": (dict(ihl=4), ["RFC791-3.1-MUST-ihl"]),
    "ihl-beyond-total-length": (dict(ihl=15), ["RFC791-3.1-MUST-ihl"]),
    "total-length-below-header": (dict(total_length=19),
                                  ["RFC1812-5.2.2-MUST-total-length"]),
    "total-length-beyond-frame": (dict(total_length=FRAME_IP_LEN + 100),
                                  ["RFC1812-5.2.2-MUST-total-length"]),
    "total-length-max": (dict(total_length=0xFFFF),
                         ["RFC1812-5.2.2-MUST-total-length"]),
    "bad-checksum": (dict(checksum=0x1234),
                     ["RFC791-3.1-MUST-header-checksum",
                      "RFC1122-3.2.1.2-MUST-verify-checksum"]),
    "version-6": (dict(version=6), ["RFC1122-3.2.1.1-MUST-version",
                                    "RFC791-3.1-MUST-version-4"]),
}


@pytest.mark.parametrize(
    "case",
    [pytest.param(name, marks=pytest.mark.requirement(*reqs), id=name)
     for name, (_, reqs) in MALFORMED.items()],
)
def test_malformed_header_is_discarded(ex, dut, case):
    fd = bound_socket(dut)
    ex.send(IPv4(**MALFORMED[case][0]), *probe_layers())
    ex.expect_nothing()
    assert received(dut, fd) is None, "the DUT delivered a datagram with a malformed header"


@pytest.mark.requirement("RFC1812-5.2.2-MUST-total-length")
def test_link_padding_beyond_total_length_is_not_data(ex, dut):
    fd = bound_socket(dut)
    frame = ex.build(*probe_layers())
    ex.send_bytes(frame + b"\xee" * 30)
    ex.expect_nothing()
    assert received(dut, fd) == b"is this delivered?"

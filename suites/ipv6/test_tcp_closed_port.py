"""RFC 9293 3.10.7.1 over IPv6 (checksum over the RFC 8200 8.1 pseudo-header): a segment to a
port nobody listens on is answered with a RST, <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>
without an ACK bit, <SEQ=SEG.ACK><CTL=RST> with one; a RST is not answered."""

import pytest

from conformance.author.templates import TCP, IPv6, Payload


@pytest.mark.requirement("RFC9293-3.10.7.1-MUST-closed-rst-ack")
@pytest.mark.parametrize("flags,data", [("S", b""), ("", b"data"), ("SF", b"")],
                         ids=["syn", "no-flags-data", "syn-fin"])
def test_segment_without_ack_gets_rst_ack(ex, endpoints, flags, data):
    ex.send(IPv6(), TCP(flags=flags, seq=1000, dst_port=9), Payload(data))
    seg_len = len(data) + ("S" in flags) + ("F" in flags)
    ex.expect(IPv6(src=endpoints.dut_ipv6), TCP(flags="RA", seq=0, ack=1000 + seg_len))


@pytest.mark.requirement("RFC9293-3.10.7.1-MUST-closed-ack-rst")
def test_segment_with_ack_gets_rst(ex, endpoints):
    ex.send(IPv6(), TCP(flags="A", seq=1000, ack=5555, dst_port=9))
    ex.expect(IPv6(src=endpoints.dut_ipv6), TCP(flags="R", seq=5555))


@pytest.mark.requirement("RFC9293-3.10.7.1-MUST-closed-rst-drop")
def test_rst_gets_nothing(ex):
    ex.send(IPv6(), TCP(flags="R", seq=1000, dst_port=9))
    ex.expect_nothing()

"""RFC 9293 3.10.7.2: in LISTEN, an ACK elicits <SEQ=SEG.ACK><CTL=RST>; a RST is ignored; a
segment with neither SYN, ACK nor RST (text, FIN) is dropped. The listener stays usable."""

import pytest

from conformance.author.tcp_connection import seq_add

from .states import LISTEN_PORT

pytestmark = pytest.mark.families("ipv4", "ipv6")

SEGMENTS = {
    "bare-ack": dict(flags="A", ack=0x5555_0000),
    "data-with-ack": dict(flags="PA", ack=0x5555_0000, payload=b"data"),
    "fin-ack": dict(flags="FA", ack=0x5555_0000),
}
DROPPED = {
    "rst-ack": dict(flags="RA", ack=0x5555_0000),
    "data-without-ack": dict(flags="P", payload=b"data"),
    "fin-without-ack": dict(flags="F"),
    "no-flags": dict(flags="none"),
}


@pytest.mark.requirement("RFC9293-3.10.7.2-MUST-listen-ack-rst")
@pytest.mark.parametrize("kind", SEGMENTS)
def test_ack_to_listener_gets_rst(ex, listener, kind):
    conn = ex.tcp(dut_port=LISTEN_PORT)
    fields = dict(SEGMENTS[kind])
    conn.send(fields.pop("payload", b""), advance=False, **fields)
    conn.expect(flags="R", seq=fields["ack"], immediate=True)


@pytest.mark.requirement("RFC9293-3.10.7.2-MUST-listen-other-drop",
                         "RFC9293-3.10.7.1-MUST-closed-rst-drop")
@pytest.mark.parametrize("kind", DROPPED)
def test_segment_without_syn_or_ack_to_listener_is_dropped(ex, listener, kind):
    conn = ex.tcp(dut_port=LISTEN_PORT)
    fields = dict(DROPPED[kind])
    conn.send(fields.pop("payload", b""), advance=False, **fields)
    conn.expect_nothing()
    conn.send(flags="S")
    conn.expect(flags="SA", ack=seq_add(conn.isn, 1))

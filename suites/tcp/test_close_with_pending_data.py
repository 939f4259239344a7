"""RFC 1122 4.2.2.13 (SHOULD): closing with received data unread, or
receiving data after CLOSE, sends a RST to show that data was lost."""

import pytest

from .states import reach


@pytest.mark.requirement("RFC1122-4.2.2.13-SHOULD-rst-on-close-with-data")
def test_close_with_unread_data_sends_rst(ex, dut, endpoints):
    peer = reach("ESTABLISHED", ex, dut, endpoints)
    peer.send(b"never read", flags="PA", advance=True)
    peer.expect_ack()
    dut.close(peer.fd)
    peer.conn.expect(flags="RA", seq=peer.dut_snd_nxt)


@pytest.mark.requirement(
    "RFC1122-4.2.2.13-SHOULD-rst-on-close-with-data",
    "RFC1122-4.2.2.13-SHOULD-rst-data-after-close",
)
def test_data_after_close_gets_rst(ex, dut, endpoints):
    peer = reach("ESTABLISHED", ex, dut, endpoints)
    dut.close(peer.fd)
    peer.conn.expect(flags="FA")
    peer.conn.ack()
    peer.send(b"too late", flags="PA")
    peer.conn.expect(flags="R", seq=peer.dut_snd_nxt)


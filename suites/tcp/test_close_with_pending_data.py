"""RFC 1122 4.2.2.13 (SHOULD): closing with received data unread, or
receiving data after CLOSE, sends a RST to show that data was lost."""

import pytest

from conformance.author.tcp_connection import seq_add

from .states import reach

pytestmark = pytest.mark.families()


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
    peer.conn.expect(flags="R", seq=peer.dut_snd_nxt, immediate=True)



@pytest.mark.requirement("RFC1122-4.2.2.13-SHOULD-rst-data-after-close")
def test_fin_beyond_rcv_nxt_after_close(ex, dut, endpoints):
    # A FIN with a gap before it: an RFC stack queues it out of order and acknowledges
    # RCV.NXT; Linux tcp_rcv_state_process counts it as new data after close() (end_seq - fin
    # after RCV.NXT) and resets. Either answer is owed at once; which one is judged by the
    # lockstep oracle with the target's profile (measured on Linux 6.18: the RST).
    peer = reach("ESTABLISHED", ex, dut, endpoints)
    dut.close(peer.fd)
    peer.conn.expect(flags="FA")
    peer.conn.ack()
    peer.send(flags="FA", seq=seq_add(peer.conn.snd_nxt, 100))
    peer.conn.expect(flags=None, timeout=1.0)

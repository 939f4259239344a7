"""An orphaned FIN-WAIT-2 (the application closed the socket, the peer acknowledged the FIN
and never sends its own) does not last for ever: RFC 9293 sets no limit; Linux drops it after
net.ipv4.tcp_fin_timeout (tcp_fin_time), set here per test to 1 s. A segment of the peer's
after that meets no connection and is answered with a RST (RFC 9293 3.10.7.1); the lockstep
oracle, told the sysctl, judges the rest.

Waits: the timeout plus 0.3 s (a kernel timer of 1 s is late by a timer-wheel tick at most:
32 ms at HZ=250)."""


import pytest

from conformance.author.before_bed import before_bed
from conformance.author.needs import other_than

from ..ipv4.dut_sysctl import require_dut_sysctl, set_dut_sysctl
from .states import has_rst, reach

pytestmark = pytest.mark.families("ipv4", "ipv6")

FIN_TIMEOUT_S = 1
FIN_TIMEOUT = ("net.ipv4.tcp_fin_timeout", str(FIN_TIMEOUT_S))


@pytest.mark.requirement("RFC9293-3.10.7.1-MUST-closed-ack-rst")
# (with net.ipv4.tcp_syncookies=2 the listener still on the port may take the late segment's
# ACK for a cookie's and open a connection: LINUX-check_tcp_syn_cookie-ack-above-iss)
@pytest.mark.needs(syncookies=other_than(2))
@before_bed(require_dut_sysctl, *FIN_TIMEOUT)
def test_orphaned_fin_wait_2_ends_after_tcp_fin_timeout(ex, dut, endpoints, bed):
    set_dut_sysctl(bed, *FIN_TIMEOUT)
    peer = reach("ESTABLISHED", ex, dut, endpoints)
    dut.close(peer.fd)
    peer.conn.expect(flags="FA")
    peer.conn.ack()
    ex.sleep(FIN_TIMEOUT_S + 0.3)
    peer.conn.send(b"late", flags="PA")
    peer.conn.expect(flags=has_rst)

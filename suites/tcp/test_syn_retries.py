"""RFC 9293 3.8.3 (R2): an active open whose SYN is never answered is given up after a number
of retransmissions, and the user told it timed out. Linux counts them in tcp_write_timeout:
net.ipv4.tcp_syn_retries plus net.ipv4.tcp_syn_linear_timeouts (the first retransmissions,
1 s apart, come on top), both set here per test to small values so the wait is short; the
lockstep oracle, told the same sysctls, judges each retransmission's time (RFC 6298 2.1: 1 s
at first; 5.5: doubled on each expiry after the linear ones).

Waits: the retransmission timeouts (1 s, then 2 s: 3 s, or 4 s with one linear timeout),
then up to 1 s for connect() to report the error."""

import errno

import pytest

from ..ipv4.dut_sysctl import dut_profile, set_dut_sysctl
from .states import connect_error, is_syn, start_active_open

pytestmark = pytest.mark.families("ipv4", "ipv6")

RETRIES = 1
RTO_S = 1.0  # RFC 6298 2.1: the initial RTO


def _timeouts(retransmissions: int, linear: int) -> list[float]:
    """The RTO before each retransmission and before the give-up (RFC 6298 5.5 doubling,
    none for the first `linear` retransmissions)."""
    rto, out = RTO_S, []
    for k in range(1, retransmissions + 2):
        out.append(rto)
        if k > linear:
            rto *= 2
    return out


@pytest.mark.requirement("RFC9293-3.8.3-MUST-r2-abort", "RFC9293-3.8.1-MUST-retransmit")
@pytest.mark.parametrize("linear", [0, 1], ids=["backoff", "one-linear-timeout"])
def test_syn_retransmitted_then_given_up(ex, dut, endpoints, bed, linear):
    set_dut_sysctl(bed, "net.ipv4.tcp_syn_retries", str(RETRIES))
    set_dut_sysctl(bed, "net.ipv4.tcp_syn_linear_timeouts", str(linear))
    profile = dut_profile(bed)
    conn, fd, syn = start_active_open(ex, dut, endpoints)
    count = profile.syn_retries + profile.syn_linear_timeouts  # RETRIES + linear on Linux
    timeouts = _timeouts(count, linear)
    for wait in timeouts[:-1]:
        again = conn.expect(flags=is_syn, timeout=wait + 0.5)
        assert again.seq == syn.seq
    assert connect_error(dut, fd, timeout=timeouts[-1] + 1.0) == errno.ETIMEDOUT
    conn.expect_nothing()  # no further SYN

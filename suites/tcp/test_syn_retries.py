"""RFC 9293 3.8.3 (R2): an active open whose SYN is never answered is given up after a number
of retransmissions, and the user told it timed out. Linux counts them in tcp_write_timeout:
net.ipv4.tcp_syn_retries plus net.ipv4.tcp_syn_linear_timeouts (the first retransmissions,
1 s apart, come on top), both set here per test to small values so the wait is short; the
lockstep oracle, told the same sysctls, judges each retransmission's time (RFC 6298 2.1: 1 s
at first; 5.5: doubled on each expiry after the linear ones).

One run with one linear timeout checks all of it: the retransmission after 1 s, the linear one
1 s later, the doubled timeout (2 s) before the give-up, the count (tcp_syn_retries with the
linear ones on top), ETIMEDOUT and no further SYN. (A second run with no linear timeout waited
out the same timers for the same rules; the oracle's doubling from the first expiry is a unit
test, tests/unit/refstack/test_tcp_pair.py, and test_initial_rto.py's back-off test checks
Linux's where net.ipv4.tcp_syn_linear_timeouts is 0.)

Waits: the retransmission timeouts (1 s, 1 s, then 2 s: 4 s), connect() reporting the error at
the last one's expiry."""

import errno

import pytest

from conformance.author.before_bed import before_bed

from ..ipv4.dut_sysctl import dut_profile, require_dut_sysctl, set_dut_sysctl
from .states import connect_error, is_syn, start_active_open

pytestmark = pytest.mark.families("ipv4", "ipv6")

RETRIES = 1
SYN_RETRIES = ("net.ipv4.tcp_syn_retries", str(RETRIES))
LINEAR = 1
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
@before_bed(require_dut_sysctl, *SYN_RETRIES)
def test_syn_retransmitted_then_given_up(ex, dut, endpoints, bed):
    set_dut_sysctl(bed, *SYN_RETRIES)
    set_dut_sysctl(bed, "net.ipv4.tcp_syn_linear_timeouts", str(LINEAR))
    profile = dut_profile(bed)
    conn, fd, syn = start_active_open(ex, dut, endpoints)
    count = profile.syn_retries + profile.syn_linear_timeouts  # RETRIES + LINEAR on Linux
    timeouts = _timeouts(count, profile.syn_linear_timeouts)
    for wait in timeouts[:-1]:
        again = conn.expect(flags=is_syn, timeout=wait + 0.5)
        assert again.seq == syn.seq
    assert connect_error(dut, fd, timeout=timeouts[-1] + 1.0) == errno.ETIMEDOUT
    conn.expect_nothing()  # no further SYN

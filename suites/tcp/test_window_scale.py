"""RFC 7323 2.2-2.3: Window Scale is negotiated in the SYNs; a SYN-ACK carries it only if the
SYN did; the window field of a SYN or SYN-ACK is never scaled; afterwards the DUT applies the
peer's shift to every window it receives, and no shift at all unless both sides sent the option.
Observed through what the DUT sends into a small advertised window."""

import pytest

from .options import syn_options
from .states import LISTEN_PORT, listen, start_active_open

# tester's shift (None: no option) and window field; the DUT may send field << shift octets if
# its SYN-ACK carried Window Scale too, else the field unscaled (RFC 7323 2.2-2.3)
CASES = {
    "no-option": (None, 400),
    "shift-0": (0, 400),
    "shift-2": (2, 100),
    "shift-5": (5, 10),
}
# More than any case allows (400 octets), and no more than a send() takes at once: Linux queues
# only ~3 KiB for a peer window of 10 octets without window scaling (its send-buffer accounting,
# which the oracle does not model; measured with net.ipv4.tcp_window_scaling=0)
BULK = bytes(range(256)) * 8


@pytest.mark.requirement("RFC7323-1.3-MUST-wscale-only-if-received")
@pytest.mark.parametrize("shift", [None, 0, 7, 14],
                         ids=["syn-without-wscale", "syn-shift-0", "syn-shift-7", "syn-shift-14"])
def test_syn_ack_carries_window_scale_only_if_syn_did(ex, dut, endpoints, bed, shift):
    listen(dut, endpoints)
    conn = ex.tcp(dut_port=LISTEN_PORT, syn_options=syn_options(wscale=shift))
    conn.send(flags="S")
    synack = conn.expect(flags="SA")
    # RFC 7323 2.2: optional; a DUT with it off (net.ipv4.tcp_window_scaling=0) never sends it
    offered = shift is not None and bed.oracle_profile.window_scaling
    assert (synack.window_scale is not None) == offered, synack.summary()


@pytest.mark.requirement(
    "RFC7323-2.2-MUST-apply-peer-shift",
    "RFC7323-2.3-MUST-no-scaling-unless-both",
    "RFC9293-3.8.6.2.1-SHOULD-sender-window",
)
@pytest.mark.parametrize("case", CASES)
# (no needs(window_scaling): without it the DUT must not scale the peer's window either, RFC
# 7323 2.3, which `allowed` checks; pytcp's expected failures are that very case)
def test_dut_sends_within_scaled_window(ex, dut, endpoints, case):
    shift, field = CASES[case]
    listener = listen(dut, endpoints)
    conn = ex.tcp(dut_port=LISTEN_PORT, window=field, syn_options=syn_options(wscale=shift))
    synack = conn.handshake()
    both = shift is not None and synack.window_scale is not None
    allowed = field << shift if both else field
    fd, _ = dut.accept(listener)
    dut.send(fd, BULK)
    first = conn.expect(flags=None)
    assert len(first.payload) == allowed, f"sent {len(first.payload)} octets into {allowed}"
    conn.expect_nothing()


@pytest.mark.families("ipv4", "ipv6")
@pytest.mark.requirement("RFC7323-2.2-MUST-syn-window-unscaled")
def test_window_of_syn_ack_is_not_scaled(ex, dut, endpoints):
    conn, fd, syn = start_active_open(ex, dut, endpoints, window=300,
                                      syn_options=syn_options(wscale=7))
    conn.send(flags="SA")
    conn.expect(flags="A", ack=conn.snd_nxt)
    dut.send(fd, BULK)
    first = conn.expect(flags=None)
    assert len(first.payload) == 300, f"sent {len(first.payload)} octets into 300 (unscaled)"

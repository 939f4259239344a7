"""The lockstep oracle check, on the in-process reference target (no privileges needed):
the oracle judging itself finds nothing, and a target that breaks one rule is caught even
where the test's own assertions say nothing about that rule."""

import socket

from conformance.author.exchange import Exchange
from conformance.fabric import naming
from conformance.fabric.namespaces import DutConfig
from conformance.judge.timeline import RecordingDutApi, check_bed
from conformance.targets.reference import InprocReferenceTarget
from reference_stack.profiles import LINUX

CHALLENGE_ACK = "RFC5961-3.2-MUST-rst-challenge-ack"
PORT = 8080


def run_scenario(profile):
    """Handshake with a DUT listener, then an in-window RST that is not at RCV.NXT."""
    target = InprocReferenceTarget(naming.WorkerPlan("0000", 0), DutConfig(), profile=profile)
    bed = target.begin_test("lockstep")
    bed.dut = RecordingDutApi(bed.dut)
    bed.oracle_profile = LINUX
    try:
        ex = Exchange(bed)
        lfd = bed.dut.socket(socket.AF_INET, socket.SOCK_STREAM)
        bed.dut.bind(lfd, (bed.endpoints.dut_ipv4, PORT))
        bed.dut.listen(lfd, 4)
        conn = ex.tcp(dut_port=PORT)
        conn.handshake()
        bed.dut.accept(lfd)
        conn.send(flags="R", seq=conn.snd_nxt + 100, advance=False)
        ex.settle()
        return check_bed(bed)
    finally:
        target.end_test(bed)


def test_oracle_judging_itself_finds_no_divergence():
    outcome = run_scenario(LINUX)
    assert outcome.divergence_dicts() == []
    assert outcome.matched >= 3  # SYN-ACK, challenge ACK, barrier echo reply
    assert any(d["rule"] == CHALLENGE_ACK for d in outcome.decisions)


def test_a_target_breaking_a_rule_diverges_with_that_rule_cited():
    outcome = run_scenario(LINUX.breaking(CHALLENGE_ACK))
    missing = [d for d in outcome.divergence_dicts() if d["actual"] == "nothing"]
    assert missing and missing[0]["rule"] == CHALLENGE_ACK


# -- timer-driven frames: a little latitude, not more ------------------------------------------

def _syn_retransmission_replay(at: float | None, end: float | None = None,
                               returned: float = 0.0, syn_at: float = 0.001,
                               timer_rate: float = 1.0):
    """A DUT's SYN at `syn_at` and its retransmission recorded at `at` (the oracle's RTO:
    1 s); connect() made at 0 and returning at `returned`."""
    import errno as errno_mod

    from conformance.fabric.pcap import FrameRecord
    from conformance.judge.timeline import DutCall, Lockstep, replay
    from reference_stack.stack import ReferenceStack
    from reference_stack.wire.addr import ip4, mac

    dut_mac, dut_ip, tester_mac, tester_ip = "02:00:00:00:00:01", "198.18.0.1", \
        "02:00:00:00:00:02", "198.18.0.2"
    twin = ReferenceStack(LINUX, mac(dut_mac), ip4(dut_ip), 24, rng_seed=7)
    twin.add_neighbor(ip4(tester_ip), mac(tester_mac))
    fd = twin.socket(socket.AF_INET, socket.SOCK_STREAM).value
    syn = twin.connect(fd, (tester_ip, 5001), 0.0).reaction.frames[0]
    again = twin.poll(twin.poll_at()).frames[0]  # the same SYN, retransmitted
    frames = [FrameRecord(syn_at, "in", syn)]
    if at is not None:
        frames.append(FrameRecord(at, "in", again))
    calls = [DutCall(0.0, "socket_with_errno", (socket.AF_INET, socket.SOCK_STREAM, 0), (fd, 0)),
             DutCall(returned, "connect_with_errno", (fd, (tester_ip, 5001), 0.0),
                     (None, errno_mod.EINPROGRESS), 0.0)]
    if end is not None:  # a call the oracle does not replay: it only ends the recording
        calls.append(DutCall(end, "poll", (fd, 1, 0.0), (0, 0)))
    from conformance.targets.base import Endpoints

    ls = Lockstep(LINUX, Endpoints(tester_mac, tester_ip, dut_mac, dut_ip, "", "", 24))
    return replay(ls, frames, calls, timer_rate=timer_rate)


def test_timer_frame_slightly_early_is_the_timers_frame():
    # recorded 30 ms before the oracle's deadline: capture-time noise, not a divergence
    assert _syn_retransmission_replay(0.97).divergences == []


def test_timer_frame_much_too_early_diverges():
    outcome = _syn_retransmission_replay(0.8)
    assert [d["field"] for d in outcome.divergence_dicts()][:1] == ["frame"]
    assert outcome.divergence_dicts()[0]["expected"] == "nothing"


def test_timer_frame_not_yet_overdue_when_the_recording_ends_is_not_missing():
    # the oracle's retransmission is due at 1 s: a recording that ends at 1.02 s may not hold it
    assert _syn_retransmission_replay(None, end=1.02).divergences == []
    missing = _syn_retransmission_replay(None, end=1.2).divergence_dicts()
    assert [(d["field"], d["actual"]) for d in missing] == [("frame", "nothing")]


def test_a_stretched_targets_timer_is_missing_only_when_overdue_on_its_clock():
    # a target whose timers counted 0.7 s per host second (PyTCP's ticks on a loaded host):
    # at 1.2 s of host time its clock read 0.84 s, short of the 1 s retransmission
    assert _syn_retransmission_replay(None, end=1.2, timer_rate=0.7).divergences == []
    missing = _syn_retransmission_replay(None, end=1.6, timer_rate=0.7).divergence_dicts()
    assert [(d["field"], d["actual"]) for d in missing] == [("frame", "nothing")]


def test_timers_start_at_the_targets_frame_not_at_the_calls_return():
    # A loaded machine: connect() sent its SYN at 1 ms but returned 300 ms later. The kernel's
    # retransmission comes 1 s after its SYN; the oracle made the call at that SYN (its
    # kernel receive time), so its deadline is the kernel's, not 300 ms late.
    assert _syn_retransmission_replay(1.001, returned=0.3, end=1.5).divergences == []
    # a SYN the target sent after connect() returned is not the call's: the call at its return
    late = _syn_retransmission_replay(1.001, returned=0.3, syn_at=0.31, end=1.5)
    assert [d["expected"] for d in late.divergence_dicts()][:1] == ["nothing"]


# -- a send into a full buffer: the target's count adopted within the bound --------------------

def _closed_window_sends(target_profile):
    """A passive open whose last ACK closes the window (SO_SNDBUF 4608), then a non-blocking
    send of 200000 octets and one of 10: (their results, the lockstep's outcome)."""
    target = InprocReferenceTarget(naming.WorkerPlan("0000", 0), DutConfig(),
                                   profile=target_profile)
    bed = target.begin_test("send-buffer")
    bed.dut = RecordingDutApi(bed.dut)
    bed.oracle_profile = LINUX
    try:
        ex = Exchange(bed)
        lfd = bed.dut.socket(socket.AF_INET, socket.SOCK_STREAM)
        bed.dut.setsockopt(lfd, socket.SOL_SOCKET, socket.SO_SNDBUF, 4608)
        bed.dut.bind(lfd, (bed.endpoints.dut_ipv4, PORT))
        bed.dut.listen(lfd, 4)
        conn = ex.tcp(dut_port=PORT)
        conn.send(flags="S")
        conn.expect(flags="SA", ack=conn.snd_nxt)
        conn.window = 0
        conn.send(flags="A")
        fd, _ = bed.dut.accept(lfd)
        results = [bed.dut.send_with_errno(fd, b"x" * 200_000, socket.MSG_DONTWAIT),
                   bed.dut.send_with_errno(fd, b"y" * 10, socket.MSG_DONTWAIT)]
        ex.settle()
        return results, check_bed(bed)
    finally:
        target.end_test(bed)


def test_a_send_count_linux_accounting_allows_is_judged_alike():
    results, outcome = _closed_window_sends(LINUX)
    assert results[0][0] > 0 and results[1] == (None, 11)  # EAGAIN
    assert outcome.divergence_dicts() == []


def test_a_send_count_no_skb_layout_allows_diverges():
    import dataclasses

    # the octet count of SO_SNDBUF, undoubled: 4608 octets of 200000, where Linux's first skb
    # takes a whole size goal (nothing queued, sk_sndbuf 9216: no full buffer before it)
    octets = dataclasses.replace(LINUX, send_buffer_accounting=False, sockbuf_doubling=False)
    results, outcome = _closed_window_sends(octets)
    assert results[0] == (4608, 0)
    found = [d for d in outcome.divergence_dicts() if d["field"] == "dut.send"]
    assert found and found[0]["actual"] == "4608", outcome.divergence_dicts()

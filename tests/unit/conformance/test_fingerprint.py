"""The behaviour fingerprint (conformance.judge.fingerprint): the lockstep replay records the
choices a target made inside the RFCs' latitude; a stack configured otherwise (another TTL,
window scale) passes the same oracle check with another fingerprint; timing is a class."""

import dataclasses
import socket

import pytest

from conformance.author.exchange import Exchange
from conformance.fabric import naming
from conformance.fabric.namespaces import DutConfig
from conformance.judge.fingerprint import CHOICES, Fingerprint, delay_class, timing_class
from conformance.judge.timeline import RecordingDutApi, check_bed
from conformance.targets.reference import InprocReferenceTarget
from fuzz.frames import FrameFactory
from fuzz.strategies import LinkAddresses
from reference_stack.profiles import LINUX, RFC
from reference_stack.stack import ReferenceStack
from reference_stack.variance import Prediction
from reference_stack.wire.addr import ip4, mac
from reference_stack.wire.tcp import ACK, SYN
from reference_stack.wire.tcp_options import parse_tcp_options

PORT = 8080
LISTEN_SYN = "RFC9293-3.10.7.2-MUST-listen-syn"


def fingerprint_of(profile):
    """Handshake and a little data with a DUT listener of ``profile``, judged by an oracle
    following the same profile (as the oracle follows a DUT's sysctls): the test's
    fingerprint, and its divergences."""
    target = InprocReferenceTarget(naming.WorkerPlan("0000", 0), DutConfig(), profile=profile)
    bed = target.begin_test("fingerprint")
    bed.dut = RecordingDutApi(bed.dut)
    bed.oracle_profile = profile
    try:
        ex = Exchange(bed)
        lfd = bed.dut.socket(socket.AF_INET, socket.SOCK_STREAM)
        bed.dut.bind(lfd, (bed.endpoints.dut_ipv4, PORT))
        bed.dut.listen(lfd, 4)
        conn = ex.tcp(dut_port=PORT)
        conn.handshake()
        fd, _ = bed.dut.accept(lfd)
        bed.dut.send(fd, b"x" * 100)
        conn.expect(flags="PA", seq=conn.rcv_nxt)
        ex.settle()
        outcome = check_bed(bed)
        return outcome.behaviour, outcome.divergence_dicts()
    finally:
        target.end_test(bed)


def value(entries, field, kind="tcp:S.", rule=LISTEN_SYN):
    found = [e for e in entries if e["field"] == field and e["kind"] == kind]
    assert len(found) == 1 and rule in found[0]["rules"], (field, kind, entries)
    return found[0]["value"]


def test_the_syn_ack_choices_are_recorded_with_what_allows_them():
    entries, divergences = fingerprint_of(LINUX)
    assert divergences == []
    assert value(entries, "ipv4.ttl") == LINUX.ttl
    assert value(entries, "tcp.opt.wscale") == LINUX.window_scale
    assert isinstance(value(entries, "tcp.window"), int)
    assert "TcpOptMss" in value(entries, "tcp.options")
    ttl = next(e for e in entries if e["field"] == "ipv4.ttl")
    assert ttl["allows"].startswith("RFC 1122 3.2.1.7") and ttl["frame"]


def test_another_ttl_and_window_scale_pass_with_another_fingerprint():
    base, _ = fingerprint_of(LINUX)
    other = dataclasses.replace(LINUX, ttl=128, window_scale=LINUX.window_scale - 3)
    entries, divergences = fingerprint_of(other)
    assert divergences == []  # the oracle follows: no verdict changes
    assert value(entries, "ipv4.ttl") == 128 != value(base, "ipv4.ttl")
    assert value(entries, "tcp.opt.wscale") == LINUX.window_scale - 3


def test_the_same_stack_twice_gives_the_same_fingerprint():
    """Only the frame summary (its ISN, ident and TSval) differs between two runs."""
    def choices(entries):
        return [{k: v for k, v in e.items() if k != "frame"} for e in entries]
    assert choices(fingerprint_of(LINUX)[0]) == choices(fingerprint_of(LINUX)[0])


def test_the_first_flight_is_the_initial_window():
    entries, _ = fingerprint_of(LINUX)
    assert [e["value"] for e in entries if e["field"] == "tcp.initial_window"] == [1]


@pytest.mark.parametrize(("seconds", "klass"), [
    (0.0, "immediate"), (0.024, "immediate"), (0.040, "~50ms"), (0.048, "~50ms"),
    (0.201, "~200ms"), (0.290, "~200ms"), (0.41, "~500ms"), (1.0, "~1s"), (1.3, "~1s"),
    (2.0, "~2s"), (4.1, "~5s")])
def test_timing_is_a_class_on_a_1_2_5_ladder(seconds, klass):
    assert timing_class(seconds) == klass


def test_an_ack_delay_is_immediate_delayed_or_late():
    assert [delay_class(s) for s in (0.003, 0.04, 0.1, 0.2, 0.45)] == [
        "immediate", "delayed", "delayed", "delayed", "delayed >300ms"]


def test_a_delayable_ack_records_its_delay_class_and_a_timer_frame_its_interval():
    factory = FrameFactory(LinkAddresses.from_text("02:00:00:00:00:02", "02:00:00:00:00:01",
                                                   "198.18.0.2", "198.18.0.1"))
    ack = factory.tcp(80, 1024, ACK, 1000, 5000)
    fp = Fingerprint()
    fp.tester_frame(factory.tcp(80, 1024, ACK, 1000, 5000), 1.0)  # same flow, any direction
    fp.on_match(Prediction(ack, "R1", {"timing.delay_ms": None}), 1.0, False, ack, 1.043)
    fp.on_match(Prediction(ack, "R2", {}), 1.5, True, ack, 1.25)
    fp.on_match(Prediction(ack, "R3", {}), 1.5, True, ack, 1.27)  # 20 ms: races the tester
    got = {e["field"]: e for e in fp.entries()}
    assert got["timing.ack_delay"]["value"] == "delayed"
    assert got["timing.retransmission"]["value"] == "~200ms"
    # one (field, kind) whatever prediction met the frame: the rules are shown, not compared
    assert got["ipv4.ttl"]["rules"] == ["R1", "R2", "R3"] and got["ipv4.ttl"]["rule"] == "R1"


def test_the_rfc_profile_allows_variance_in_every_frame_field_recorded():
    """The fields the fingerprint reads are the ones the RFCs leave free: the rfc profile's
    SYN-ACK prediction has a constraint other than an exact value on each."""
    stack = ReferenceStack(RFC, mac("02:00:00:00:00:02"), ip4("198.18.0.2"), 24)
    stack.add_neighbor(ip4("198.18.0.1"), mac("02:00:00:00:00:01"))
    fd = stack.socket(socket.AF_INET, socket.SOCK_STREAM).value
    stack.bind(fd, ("198.18.0.2", PORT), 0.0)
    stack.listen(fd, 4, 0.0)
    syn = FrameFactory(LinkAddresses.from_text("02:00:00:00:00:01", "02:00:00:00:00:02",
                                               "198.18.0.1", "198.18.0.2")).tcp(
        1024, PORT, SYN, 7, 0, options=parse_tcp_options(b"\x02\x04\x05\xb4\x01\x03\x03\x07"))
    synack = stack.receive(syn, 0.0).predictions[0]
    frame_fields = [f for f in CHOICES if f.split(".")[0] in ("ipv4", "tcp")
                    and f in synack.fields() or f == "ipv4.df"]
    assert {"ipv4.ttl", "ipv4.ident", "tcp.window", "tcp.opt.wscale", "tcp.opt.mss",
            "tcp.options"} <= set(frame_fields)
    assert all(f in synack.variance for f in frame_fields), synack.variance.keys()

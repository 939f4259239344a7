"""`netconform run` against the running kernel: the first suite passes and every output is
written (results.json per DESIGN.md's schema, junit.xml, one readable pcap per test)."""

import shutil
import subprocess
import xml.etree.ElementTree as ET

import pytest

from conformance.fabric.pcap import read_pcap
from reference_stack.wire.frame import dissect
from tests.first_suite import FIRST_SUITE

from .runner import netconform, results

REQUIRED_TEST_KEYS = {"id", "requirements", "outcome", "duration_s", "divergences"}
TSHARK_SAMPLE = 8  # tshark takes ~0.5 s a file: check a sample
DUT_MAC_PREFIX = bytes.fromhex("024e43")  # conformance.fabric.naming: 02:4e:43:<worker>:00:01


def assert_dut_checksums_valid(pcap):
    """Frames from the DUT carry complete checksums (veth TX checksum offload is off)."""
    for _, frame in read_pcap(str(pcap)):
        d = dissect(frame)
        if d.eth is None or d.ipv4 is None or d.eth.src[:3] != DUT_MAC_PREFIX:
            continue
        if d.eth.src[3:] == d.eth.src[3:4] + b"\x00\x02":
            continue  # the tester's own frames
        assert d.ipv4.header_checksum_ok(), pcap
        src, dst = d.ipv4.src, d.ipv4.dst
        for layer in (d.tcp, d.udp):
            if layer is not None:
                assert layer.checksum_ok(src, dst), f"{pcap}: {d.summary()}"
        if d.icmpv4 is not None:
            assert d.icmpv4.checksum_ok(), f"{pcap}: {d.summary()}"


def check_outputs(out, workers):
    data = results(out)
    assert {"target", "started", "environment", "tests", "summary"} <= set(data)
    assert data["target"] == "linux" and data["environment"]["workers"] == workers
    assert data["environment"]["sysctls"]["net.ipv4.icmp_ratelimit"] == "0"
    tests = data["tests"]
    assert len(tests) >= 12
    assert all(REQUIRED_TEST_KEYS <= set(t) for t in tests)
    bad = [(t["id"], t["message"]) for t in tests if t["outcome"] not in ("passed", "xfailed")]
    assert not bad, bad
    assert all(t["requirements"] for t in tests), "every suite test cites a requirement"
    suite = ET.parse(out / "junit.xml").getroot()
    cases = suite.iter("testcase")
    assert len(list(cases)) == len(tests)
    for i, t in enumerate(tests):
        pcap = out / t["pcap"]
        assert pcap.exists() and pcap.stat().st_size > 24
        assert_dut_checksums_valid(pcap)
        if shutil.which("tshark") and i < TSHARK_SAMPLE:
            listing = subprocess.run(["tshark", "-r", str(pcap)], capture_output=True,
                                     text=True, check=True).stdout
            assert listing.strip(), f"tshark sees no frame in {pcap}"
    return data


@pytest.mark.parametrize("workers", [1, 2])
def test_first_suite_passes_and_writes_outputs(tmp_path, workers):
    out = tmp_path / "out"
    args = ["run", "--out", str(out)] + (["-n", str(workers)] if workers > 1 else [])
    for path in FIRST_SUITE:
        args += ["--suite", path]
    proc = netconform(*args)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "netconform:" in proc.stdout and "passed" in proc.stdout
    check_outputs(out, workers)

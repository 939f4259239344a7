"""pcap files: what we write, we (and tshark, when installed) read back."""

import shutil
import subprocess

import pytest

from conformance.fabric.pcap import PcapError, Recorder, read_pcap


def test_pcap_round_trip(tmp_path):
    rec = Recorder()
    rec.add("out", b"\x01" * 60, t=1000.25)
    rec.add("in", b"\x02" * 70, t=1000.5)
    path = str(tmp_path / "x.pcap")
    rec.write_pcap(path)
    frames = read_pcap(path)
    assert [f for _, f in frames] == [b"\x01" * 60, b"\x02" * 70]
    assert frames[1][0] == pytest.approx(1000.5)


def test_truncated_pcap_is_a_clear_error(tmp_path):
    path = tmp_path / "bad.pcap"
    path.write_bytes(b"\x00" * 10)
    with pytest.raises(PcapError, match="too short"):
        read_pcap(str(path))


@pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark not installed")
def test_tshark_reads_our_pcap(tmp_path):
    rec = Recorder()
    eth_ip = bytes.fromhex("ffffffffffff0200000000020800") + bytes(46)
    rec.add("out", eth_ip)
    path = str(tmp_path / "t.pcap")
    rec.write_pcap(path)
    out = subprocess.run(["tshark", "-r", path], capture_output=True, text=True, check=True)
    assert len(out.stdout.strip().splitlines()) == 1

"""A failing expectation fails the run (exit 1) and explains itself: near-miss frames with a
field-level diff in the message and in results.json; DUT configuration options take effect
and are recorded."""

from .runner import netconform, results, write_suite

WRONG_EXPECTATION = '''
from conformance.author.templates import ICMPv4, Payload

def test_expects_the_wrong_payload(ex):
    ex.send(ICMPv4(type=8, rest=0x00420001), Payload(b"real"))
    ex.expect(ICMPv4(type=0, rest=0x00420001), Payload(b"imagined"))
'''

TTL_CHECK = '''
import pytest
from conformance.author.templates import ICMPv4, IPv4, Payload

@pytest.mark.parametrize("ttl", [33])
def test_reply_ttl(ex, ttl):
    ex.send(ICMPv4(type=8, rest=0x00420002), Payload(b"ttl"))
    ex.expect(IPv4(ttl=ttl), ICMPv4(type=0))
'''


def test_failed_expectation_shows_near_misses_and_diff(tmp_path):
    suite = write_suite(tmp_path / "suite", WRONG_EXPECTATION)
    proc = netconform("run", "--suite", str(suite), "--out", str(tmp_path / "out"))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    (test,) = results(tmp_path / "out")["tests"]
    assert test["outcome"] == "failed"
    assert "near miss 1" in test["message"]
    assert {"field": "payload", "frame": "near miss 1"}.items() <= test["diff"][0].items()
    assert "imagined" not in test["diff"][0]["actual"]


def test_dut_sysctl_and_setup_are_applied_and_recorded(tmp_path):
    suite = write_suite(tmp_path / "suite", TTL_CHECK)
    out = tmp_path / "out"
    proc = netconform("run", "--suite", str(suite), "--out", str(out),
                      "--dut-sysctl", "net.ipv4.ip_default_ttl=33",
                      "--dut-setup", "true")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    env = results(out)["environment"]
    assert env["sysctls"]["net.ipv4.ip_default_ttl"] == "33"
    assert env["setup_commands"] == ["true"]
    # The setup command runs inside each fresh DUT namespace: override the TTL there.
    proc = netconform("run", "--suite", str(suite), "--out", str(out),
                      "--dut-setup", "sysctl -qw net.ipv4.ip_default_ttl=44")
    assert proc.returncode == 1, "TTL 44 from --dut-setup should have failed the TTL-33 check"
    assert "ttl: expected 33, got 44" in results(out)["tests"][0]["message"]

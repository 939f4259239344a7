"""``--lockstep enforce`` (the default for Linux) against the real kernel: a test whose own
assertions pass fails on an unexplained divergence from the oracle, with the field diff, the
rule and the oracle's decisions in its message; a ``[[divergence]]`` entry explains it (the
reason lands in results.json); an entry that matches nothing fails its test (strict)."""

import os

from .runner import netconform, results, write_suite

PING = '''
from conformance.author.templates import ICMPv4, Payload

def test_echo_is_answered(ex):
    ex.send(ICMPv4(type=8, rest=0x00420003), Payload(b"ttl?"))
    ex.expect(ICMPv4(type=0, rest=0x00420003))
'''
# The oracle follows the DUT's sysctls (read from its namespace), not a route's attribute: a
# hop limit on the connected route makes the reply's TTL diverge from its 64.
SET_TTL = ("--dut-setup", "ip -4 route show proto kernel | while read -r r; do "
           "ip route change $r hoplimit 44; done")
SYSCTL_TTL = ("--dut-setup", "sysctl -qw net.ipv4.ip_default_ttl=44")
RULE = "RFC1122-3.2.2.6-MUST-echo-reply"


def run(tmp_path, name, *extra, expectations=None):
    suite = write_suite(tmp_path / "suite", PING)
    out = tmp_path / name
    env = dict(os.environ)
    if expectations is not None:
        d = tmp_path / f"exp-{name}"
        d.mkdir()
        (d / "linux.toml").write_text(expectations)
        env["NETCONFORM_EXPECTATIONS"] = str(d)
    proc = netconform("run", "--suite", str(suite), "--out", str(out), *extra, env=env)
    (test,) = results(out)["tests"]
    return proc, test


def entry(test_id):
    return (f'[[divergence]]\ntest = "{test_id}"\nfield = "ipv4.ttl"\nrule = "{RULE}"\n'
            'reason = "the TTL a --dut-setup command set"\n')


def test_unexplained_divergence_fails_a_passing_test(tmp_path):
    proc, test = run(tmp_path, "bare", *SET_TTL)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert test["outcome"] == "failed"
    assert "ipv4.ttl: oracle expected 64, target did 44" in test["message"]
    assert RULE in test["message"] and "the oracle's decisions" in test["message"]
    # the echo reply and the barrier's: each answer carries the TTL
    assert {d["field"] for d in test["divergences"] if not d["explained"]} == {"ipv4.ttl"}


def test_filed_divergence_is_explained_with_its_reason(tmp_path):
    _, first = run(tmp_path, "probe", "--dut-setup", "true")
    proc, test = run(tmp_path, "filed", *SET_TTL, expectations=entry(first["id"]))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert test["divergences"]
    for d in test["divergences"]:
        assert d["explained"] and d["reason"] == "the TTL a --dut-setup command set"


def test_stale_divergence_entry_fails_its_test(tmp_path):
    _, first = run(tmp_path, "probe", "--dut-setup", "true")
    proc, test = run(tmp_path, "stale", expectations=entry(first["id"]))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "expected divergence not seen" in test["message"]


def test_record_mode_keeps_divergences_as_data(tmp_path):
    suite = write_suite(tmp_path / "suite", PING)
    out = tmp_path / "rec"
    proc = netconform("run", "--suite", str(suite), "--out", str(out), *SET_TTL,
                      "--lockstep", "record")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (test,) = results(out)["tests"]
    assert test["outcome"] == "passed" and test["divergences"][0]["field"] == "ipv4.ttl"


def test_the_oracle_follows_the_sysctls_in_force_in_the_dut(tmp_path):
    """A sysctl a --dut-setup command sets is read from the DUT namespace: no divergence, and
    results.json records what the oracle used."""
    proc, test = run(tmp_path, "sysctl", *SYSCTL_TTL)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert test["outcome"] == "passed" and test["divergences"] == []
    oracle = results(tmp_path / "sysctl")["environment"]["oracle"]
    assert oracle["profile"] == "linux"
    assert oracle["sysctls"]["net.ipv4.ip_default_ttl"] == "44"

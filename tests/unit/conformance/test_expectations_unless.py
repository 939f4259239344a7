"""An expected failure about a behaviour a sysctl switches does not apply to a run that sets
that sysctl to the value under which the target does what the test expects."""

from conformance.judge import expectations


def test_unless_sysctl_lifts_the_entry(tmp_path):
    (tmp_path / "t.toml").write_text(
        '[[xfail]]\ntest = "suites/x.py::test_a"\nreason = "a Linux choice"\n'
        'unless_sysctl = { "net.ipv4.tcp_syn_linear_timeouts" = "0", '
        '"net.ipv4.conf.all.rp_filter" = ["1", "2"] }\n')
    (exp,) = expectations.load("t", tmp_path)
    assert not exp.lifted_by({})
    assert not exp.lifted_by({"net.ipv4.tcp_syn_linear_timeouts": "4"})
    assert exp.lifted_by({"net.ipv4.tcp_syn_linear_timeouts": "0"})
    assert exp.lifted_by({"net.ipv4.conf.all.rp_filter": "2"})


def test_the_linux_entries_name_their_sysctls():
    by_test = {e.test: e for e in expectations.load("linux")}
    backoff = by_test["suites/tcp/test_initial_rto.py::"
                      "test_syn_retransmissions_back_off_exponentially"]
    assert backoff.lifted_by({"net.ipv4.tcp_syn_linear_timeouts": "0"})

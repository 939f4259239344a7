"""The behaviour diff and gate (reports/behaviour.py, ``netconform diff``, ``gate
--behaviour``): each changed choice per test with its frame and what allows it; an accept file
of test patterns and fields; one-line errors for bad input."""

import json

import pytest

from reports.behaviour import behaviour_diff, load_accept
from reports.commands import behaviour_gate_command, diff_command
from reports.model import ResultsError, validate_results
from tests.reports import sample

ALLOWS_TTL = "RFC 1122 3.2.1.7: any TTL but zero is the sender's choice"
SYNACK_RULE = "RFC9293-3.10.7.2-MUST-listen-syn"


def choice(field, value, kind="tcp:S.", rule=SYNACK_RULE, allows=ALLOWS_TTL):
    return {"field": field, "value": value, "kind": kind, "rule": rule,
            "frame": f"IP ttl {value} | TCP [S.]", "allows": allows}


def run(ttl=64, wscale=7, extra=(), outcome="passed", kernel="6.18"):
    behaviour = [choice("ipv4.ttl", ttl), choice("tcp.opt.wscale", wscale), *extra]
    tests = [sample.make_test("suites/tcp/test_a.py::test_a", outcome, behaviour=behaviour),
             sample.make_test("suites/ipv4/test_b.py::test_b",
                              behaviour=[choice("ipv4.ttl", ttl, "icmp:0", "R-echo")])]
    doc = sample.make_results(tests)
    doc["environment"]["kernel"] = kernel
    return doc


def write(tmp_path, name, doc):
    path = tmp_path / name
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc))
    return str(path)


def test_the_same_choices_give_an_empty_diff():
    diff = behaviour_diff(validate_results(run()), validate_results(run()))
    assert diff.changes == () and diff.compared == 2


def test_each_changed_choice_is_listed_with_old_new_frame_and_rule():
    diff = behaviour_diff(validate_results(run()), validate_results(run(ttl=128)))
    got = {(c.test, c.field, c.kind, c.old, c.new) for c in diff.changes}
    assert got == {("suites/tcp/test_a.py::test_a", "ipv4.ttl", "tcp:S.", 64, 128),
                   ("suites/ipv4/test_b.py::test_b", "ipv4.ttl", "icmp:0", 64, 128)}
    change = diff.by_test()["suites/tcp/test_a.py::test_a"][0]
    assert change.rule == SYNACK_RULE and change.allows == ALLOWS_TTL
    assert "ttl 128" in change.frame  # the candidate's frame
    text = "\n".join(diff.lines())
    assert "ipv4.ttl: 64 -> 128" in text and ALLOWS_TTL in text


def test_a_choice_in_one_run_only_is_a_change_and_a_skipped_test_is_not_compared():
    icmp = choice("icmp.error", "3/3", "icmp:3", "RFC1122-4.1.3.1-SHOULD-port-unreachable")
    diff = behaviour_diff(validate_results(run(extra=[icmp])), validate_results(run()))
    assert [(c.field, c.old, c.new) for c in diff.changes] == [("icmp.error", "3/3", "absent")]
    skipped = behaviour_diff(validate_results(run()),
                             validate_results(run(ttl=1, outcome="skipped")))
    assert "suites/tcp/test_a.py::test_a" in skipped.not_compared
    assert {c.test for c in skipped.changes} == {"suites/ipv4/test_b.py::test_b"}


def test_diff_command_prints_changes_and_exits_0(tmp_path, capsys):
    base = write(tmp_path, "base.json", run(kernel="6.1"))  # another kernel: what it compares
    cand = write(tmp_path, "cand.json", run(wscale=9))
    assert diff_command(base, cand) == 0
    out = capsys.readouterr().out
    assert "tcp.opt.wscale: 7 -> 9" in out and "1 behaviour change(s) in 1 test(s)" in out


def test_gate_behaviour_fails_naming_the_change_and_an_accept_file_lets_it_pass(tmp_path,
                                                                                capsys):
    base = write(tmp_path, "base.json", run())
    cand = write(tmp_path, "cand.json", run(ttl=128))
    assert behaviour_gate_command(base, cand) == 1
    out = capsys.readouterr().out
    assert "FAILED, 2 behaviour change(s) not accepted" in out
    assert "by field: ipv4.ttl 2 in 2 test(s)" in out
    assert "behaviour-changed: suites/tcp/test_a.py::test_a: ipv4.ttl: 64 -> 128" in out
    partial = write(tmp_path, "partial.toml",
                    '[[accept]]\ntest = "suites/tcp/*"\nfield = "ipv4.ttl"\n')
    assert behaviour_gate_command(base, cand, partial) == 1
    out = capsys.readouterr().out
    assert "FAILED, 1 behaviour change(s)" in out and "suites/ipv4/test_b.py" in out
    every = write(tmp_path, "all.toml", '[[accept]]\ntest = "*"\nfield = "ipv4.*"\n'
                  'reason = "the new default TTL"\n')
    assert behaviour_gate_command(base, cand, every) == 0
    assert "[the new default TTL]" in capsys.readouterr().out
    assert behaviour_gate_command(base, write(tmp_path, "same.json", run())) == 0


def assert_one_line_error(capsys, *fragments):
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("netconform: error: "), captured.err
    for fragment in fragments:
        assert fragment in lines[0]


@pytest.mark.parametrize(("text", "fragment"), [
    ("[[accept]\n", "not valid TOML"),
    ('[[accept]]\ntest = "*"\n', "'field' must be a non-empty string"),
    ('[[accept]]\ntest = "*"\nfield = "ipv4.ttl"\nvalue = 3\n', "unknown key 'value'"),
    ('accepted = 1\n', "unknown key 'accepted'"),
    ('accept = 1\n', "array of tables"),
])
def test_a_bad_accept_file_is_one_line_exit_2(tmp_path, capsys, text, fragment):
    base = write(tmp_path, "base.json", run())
    accept = write(tmp_path, "accept.toml", text)
    assert behaviour_gate_command(base, base, accept) == 2
    assert_one_line_error(capsys, "accept.toml", fragment)
    with pytest.raises(ResultsError):
        load_accept(accept)


def test_bad_results_are_one_line_exit_2(tmp_path, capsys):
    good = write(tmp_path, "good.json", run())
    assert diff_command(write(tmp_path, "bad.json", "{oops"), good) == 2
    assert_one_line_error(capsys, "bad.json", "not valid JSON")
    assert behaviour_gate_command(good, str(tmp_path / "nope.json")) == 2
    assert_one_line_error(capsys, "nope.json: no such file")
    assert behaviour_gate_command(good, good, str(tmp_path / "none.toml")) == 2
    assert_one_line_error(capsys, "none.toml: no such file")
    bare = write(tmp_path, "bare.json", sample.standard_results())
    assert diff_command(good, bare) == 2
    assert_one_line_error(capsys, "bare.json holds no behaviour fingerprint")
    other = write(tmp_path, "other.json", dict(run(), target="pytcp"))
    assert behaviour_gate_command(good, other) == 2
    assert_one_line_error(capsys, "not comparable", "--allow-target-change")


def delays(*classes):
    """A run whose tests each have one delayable ACK, with these delay classes."""
    tests = [sample.make_test(f"suites/tcp/test_d.py::test_{i}", behaviour=[
        choice("timing.ack_delay", c, "tcp:.", "R-ack", "RFC 1122 4.2.3.2")])
        for i, c in enumerate(classes)]
    return validate_results(sample.make_results(tests))


def test_ack_delay_classes_are_compared_over_the_whole_run():
    flipped = behaviour_diff(delays("delayed", "immediate", "delayed"),
                             delays("immediate", "immediate", "delayed"))
    assert flipped.changes == ()  # one ACK's timing inside the kernel: not a change
    none_delayed = behaviour_diff(delays("delayed", "immediate"), delays("immediate",
                                                                        "immediate"))
    assert [(c.test, c.field, c.old, c.new) for c in none_delayed.changes] == [
        ("(whole run)", "timing.ack_delay", ["delayed", "immediate"], ["immediate"])]

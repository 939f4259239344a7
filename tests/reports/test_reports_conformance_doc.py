"""docs/conformance.md from runs: counts by RFC and level, non-conformances with reproducers."""

import json

from reports.conformance_doc import main, non_conformances, render
from tests.reports import sample

NC = ("NON-CONFORMANCE RFC9293-3.10.7.1-MUST-closed-rst-ack: the stack answers a SYN to a "
      "closed port with a bare RST; src/tcp.c tcp_rst.")


def _run(target="lwip"):
    tests = [
        sample.make_test("suites/tcp/test_a.py::test_a[1]", "xfailed", xfail_reason=NC),
        sample.make_test("suites/tcp/test_a.py::test_a[2]", "xfailed", xfail_reason=NC),
        sample.make_test("suites/tcp/test_b.py::test_b", "xfailed",
                         xfail_reason="Stack choice: no SACK (RFC 2018 is optional)."),
        sample.make_test("suites/tcp/test_c.py::test_c", "passed"),
    ]
    return sample.make_results(tests, target=target)


def test_one_non_conformance_per_requirement_with_each_test_a_reproducer():
    (nc,) = non_conformances(_run())
    assert nc.requirements == ("RFC9293-3.10.7.1-MUST-closed-rst-ack",)
    assert nc.tests == ["suites/tcp/test_a.py::test_a[1]", "suites/tcp/test_a.py::test_a[2]"]


def test_explained_divergences_count_too():
    run = _run()
    run["tests"][3]["divergences"] = [{"kind": "field", "field": "tcp.ack", "rule": "r",
                                       "expected": "1", "actual": "2", "explained": True,
                                       "reason": NC.replace("closed-rst-ack", "ack-unsent")}]
    assert len(non_conformances(run)) == 2
    run["tests"][2]["xfail_reason"] = NC.replace("closed port", "closed port (again)")
    assert len(non_conformances(run)) == 2  # the same requirement: one non-conformance


def test_render_orders_targets_and_lists_reproducers(tmp_path):
    paths = []
    for target in ("lwip", "linux"):
        path = tmp_path / f"{target}.json"
        path.write_text(json.dumps(_run(target)))
        paths.append(str(path))
    out = tmp_path / "docs" / "conformance.md"
    assert main([*paths, "--out", str(out)]) == 0
    text = out.read_text()
    assert text.index("| linux |") < text.index("| lwip |")
    assert "### lwip (1)" in text and "Stack choice" not in text
    assert "`netconform run --target lwip --suite 'suites/tcp/test_a.py::test_a[1]'`" in text
    assert "| RFC 9293 | MUST |" in text
    assert render([_run()]) == render([_run()])


def test_an_intermittent_entry_that_passed_is_still_a_non_conformance():
    run = _run()
    run["tests"][1].update(outcome="xpassed", xfail_intermittent="failed 7 of 12 runs")
    (nc,) = non_conformances(run)
    assert len(nc.tests) == 2 and nc.intermittent == "failed 7 of 12 runs"
    text = render([run])
    assert "intermittent (the reproducer shows it only sometimes): failed 7 of 12 runs" in text
    # its requirement counts as an expected failure, not a pass
    run["tests"][0].update(outcome="xpassed", xfail_intermittent="failed 7 of 12 runs")
    assert "| RFC 9293 | MUST | 0/1 (1) |" in render([run])


def test_the_runs_table_names_each_stack_and_the_vms_kernel():
    linux, vm, lwip = _run("linux"), _run("vm"), _run("lwip")
    vm["environment"].update(kernel="6.1.0-57-amd64", host_kernel="6.18.44",
                             kernel_choices_modelled=True)
    lwip["environment"]["lwip"] = "2.1.3"
    text = render([lwip, vm, linux])
    assert text.index("| linux | Linux 6.18.44 |") < text.index("| vm | Linux 6.1.0-57-amd64 "
                                                                 "under qemu |")
    assert "| lwip | lwIP 2.1.3 |" in text
    assert "### vm (1)" in text and "--target vm --suite" in text
    vm["environment"].update(kernel="5.15.0", kernel_choices_modelled=False)
    assert ("| vm | Linux 5.15.0 under qemu (judged as 6.18: its series is not modelled) |"
            in render([vm]))


def test_each_run_names_its_commit():
    dirty = _run("linux")
    dirty["checkout"]["dirty"] = True
    unknown = _run("lwip")
    unknown["checkout"] = None
    rows = [line for line in render([dirty, unknown]).splitlines()
            if line.startswith(("| target |", "| linux |", "| lwip |"))][:3]
    assert rows[0].startswith("| target | stack | commit | started |")
    assert rows[1].startswith("| linux | Linux 6.18.44 | 1977481+dirty | 2026-11-24")
    assert rows[2].startswith("| lwip |  |  | 2026-11-24")

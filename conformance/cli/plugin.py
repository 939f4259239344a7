"""The netconform pytest plugin (entry point ``pytest11``).

Options: ``--target``, ``--netconform-out``, ``--dut-sysctl NAME=VALUE``, ``--dut-setup CMD``.
Marker: ``requirement("<id>", ...)``. Fixtures: ``target`` (per worker), ``bed`` (a fresh target
per test), ``dut`` (the DUT socket API), ``link`` (the tester link), ``endpoints`` and ``ex``
(the exchange API). Works under pytest-xdist: each worker runs its own target with its own
names and addresses; only the controller writes results.json, junit.xml and the HTML report.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shlex
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest

from conformance.author import barriers
from conformance.author.before_bed import preview, run_checks
from conformance.author.ipsec import IPSEC, IPSEC_CONFIG
from conformance.author.link_mtu import require_link_mtu, set_link_mtu
from conformance.cli import lifetime, ordering, timing
from conformance.cli.requirements_job import RequirementsJob
from conformance.cli.results import PROJECT_DIR, PROPERTY_KEY, ResultsCollector, command_line
from conformance.fabric import naming, reaper
from conformance.fabric.namespaces import DutConfig, parse_sysctl_items
from conformance.judge import expectations, store
from conformance.judge.divergence import Divergence
from conformance.judge.oracle import OracleSetup, oracle_setup
from conformance.judge.timeline import RecordingDutApi, check_bed, record_sysctls
from conformance.requirements import catalogue
from conformance.targets import UnknownTarget, make_target, target_class
from reference_stack.sockopt import Unsupported
from reports.banners import drop_reasons_note

STASH_STATE = pytest.StashKey["RunState"]()
# An expected failure whose entry is intermittent (conformance/judge/expectations.py): the
# entry's measured rate and why, recorded with the test's outcome (xfail_intermittent).
STASH_INTERMITTENT = pytest.StashKey[str]()
LOCKSTEP_MODES = ("off", "record", "enforce")
# pytest exit statuses of a session that ran every selected test: ok, tests failed, none found.
COMPLETE_EXIT = (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED,
                 pytest.ExitCode.NO_TESTS_COLLECTED)


def written_results(config: pytest.Config | None) -> dict[str, Any] | None:
    """The results document the run wrote (None if it wrote none), without reading it back."""
    state = config.stash.get(STASH_STATE, None) if config is not None else None
    return state.results if state is not None else None


def harness_version() -> str:
    try:
        return metadata.version("netconform")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("netconform")
    group.addoption("--target", default="linux", help="stack under test (see `netconform targets`)")
    group.addoption("--netconform-out", default=None, metavar="DIR",
                    help="write results.json, junit.xml, index.html and pcaps/ here")
    group.addoption("--dut-sysctl", action="append", default=[], metavar="NAME=VALUE",
                    help="sysctl set in every fresh DUT namespace (repeatable)")
    group.addoption("--dut-setup", action="append", default=[], metavar="CMD",
                    help="shell command run inside every fresh DUT namespace (repeatable)")
    group.addoption("--expect-nothing-wait", type=float, default=None, metavar="SECONDS",
                    help="decide 'expect nothing' by a fixed quiet period instead of a barrier "
                         "(the way packetimpact waits; for comparison benchmarks)")
    group.addoption("--requirements", action="append", default=[], metavar="DIR",
                    help="a folder of the user's own catalogue files (*.toml), added to the "
                         "built-in requirements (repeatable)")
    group.addoption("--lockstep", choices=LOCKSTEP_MODES, default=None,
                    help="replay each test into the reference oracle: enforce (an unexplained "
                         "divergence fails the test), record (divergences are data) or off; "
                         "default: the target's (Target.default_lockstep)")


class RunState:
    """What one pytest process knows about the run (no global state: lives in config.stash)."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.target_name: str = config.getoption("target")
        target = target_class(self.target_name)
        self.lockstep: str = config.getoption("lockstep") or target.default_lockstep
        self.fixed_wait: float | None = config.getoption("expect_nothing_wait")
        self.out_dir: str | None = config.getoption("netconform_out")
        self.dut_config = DutConfig(
            extra_sysctls=parse_sysctls(config.getoption("dut_sysctl")),
            setup_commands=tuple(config.getoption("dut_setup")),
        )
        workerinput = getattr(config, "workerinput", None)
        self.is_worker = workerinput is not None
        self.run_id: str = workerinput["netconform_run_id"] if workerinput else naming.new_run_id()
        self.catalogue = catalogue.load_with_user(config.getoption("requirements"))
        self.expectations = expectations.load(target.expectations_file())
        self.store = store.load(target.expectations_file(), None, target.analyses_module)
        self.oracle: OracleSetup | None = None
        self.collector: ResultsCollector | None = None
        self.target_env: dict[str, Any] = {}
        self.target_env_sent = False  # sent to the controller with this worker's first test
        self.stopped_by: str | None = None  # the signal that stopped the run, if one did
        self.barrier: str | None = "echo"  # the probe bed set-up found answered (None: none)
        self.unavailable: list[str] = []  # what this worker's target cannot do here
        # results.json's requirements with their rules, read from the oracle's source by a
        # process of their own while the workers test (not at the run's end)
        self.requirements: RequirementsJob | None = None
        self.results: dict[str, Any] | None = None  # what results.json got (the controller's)

    def stopped(self, signal_name: str) -> None:
        self.stopped_by = signal_name


def parse_sysctls(items: list[str]) -> dict[str, str]:
    try:
        return parse_sysctl_items(items)
    except ValueError as exc:
        raise pytest.UsageError(str(exc)) from None


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "requirement(*ids): RFC requirement ids this test checks (see suites/requirements)",
    )
    config.addinivalue_line(
        "markers",
        "link_mtu(mtu): the test link's MTU for this test, both ends, the oracle following "
        "(conformance.author.link_mtu); skipped where the target cannot set it",
    )
    config.addinivalue_line(
        "markers",
        "needs(**features): profile features the test assumes (e.g. timestamps=True), resolved "
        "against the DUT's sysctls; skipped with the reason when the DUT has them off "
        "(conformance.author.needs)",
    )
    config.addinivalue_line(
        "markers",
        "before_bed(check, *args, **kwargs): check(preview, *args, **kwargs) before the test's "
        "bed is made, a skip the body's first step would make (conformance.author.before_bed)",
    )
    try:
        state = RunState(config)
        target_class(state.target_name)
    except (UnknownTarget, catalogue.CatalogueError, expectations.ExpectationsError) as exc:
        raise pytest.UsageError(str(exc)) from None
    config.stash[STASH_STATE] = state
    # SIGTERM and SIGINT tear down like Ctrl-C however we were started: fixtures' finalizers
    # remove what we made, and results.json says the run is incomplete.
    lifetime.on_stop_signals(state.stopped)
    if state.is_worker:
        lifetime.die_with_parent()  # no orphaned worker after the controller's kill -9
    if config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(XdistHooks(state), "netconform-xdist")
    config.pluginmanager.register(timing.PhaseTimer(), "netconform-timing")
    if not state.is_worker:
        reaper.reap()
        state.collector = ResultsCollector(state.target_name, command_line(), harness_version())
        if state.out_dir:
            try:  # an earlier run's outputs go: never old pcaps beside new ones
                lifetime.prepare_out(state.out_dir, force=True)
            except lifetime.OutDirRefused as exc:
                raise pytest.UsageError(str(exc)) from None
            os.makedirs(os.path.join(state.out_dir, "pcaps"), exist_ok=True)
            state.requirements = RequirementsJob()


class XdistHooks:
    def __init__(self, state: RunState) -> None:
        self.state = state

    def pytest_configure_node(self, node: Any) -> None:
        node.workerinput["netconform_run_id"] = self.state.run_id


def requirement_ids(item: pytest.Item) -> list[str]:
    ids: list[str] = []
    for mark in item.iter_markers("requirement"):
        ids.extend(str(a) for a in mark.args)
    return ids


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    state: RunState = config.stash[STASH_STATE]
    for item in items:
        unknown = [r for r in requirement_ids(item) if r not in state.catalogue]
        if unknown:
            fail_unknown_requirements(item, unknown)
        exp = expectations.find(state.expectations, item.nodeid)
        if exp is not None and not exp.lifted_by(state.dut_config.extra_sysctls):
            reason = exp.reason + (f" ({exp.link})" if exp.link else "")
            # Strict, unless the non-conformance shows only when a race in the target goes
            # one way: then a pass is an xpass the run does not fail.
            item.add_marker(pytest.mark.xfail(reason=reason, strict=exp.strict))
            if exp.intermittent is not None:
                item.stash[STASH_INTERMITTENT] = exp.intermittent
    # Several workers: neighbouring tests (and their waits) spread over the run (ordering).
    worker = getattr(config, "workerinput", None)
    if worker is not None and worker.get("workercount", 1) > 1:
        items[:] = ordering.spread(items)


def fail_unknown_requirements(item: pytest.Item, unknown: list[str]) -> None:
    """The test fails with one line, the run goes on (a typo in a user's suite)."""
    message = (f"unknown requirement id(s) {', '.join(unknown)}: not in the catalogue "
               "(suites/requirements/, or a folder given with --requirements)")

    def runtest() -> None:
        pytest.fail(message, pytrace=False)

    item.runtest = runtest  # type: ignore[method-assign]


@pytest.hookimpl(tryfirst=True)
def pytest_report_header(config: pytest.Config) -> str:
    state: RunState = config.stash[STASH_STATE]
    return f"netconform: target={state.target_name} run={state.run_id}"


def _collect(config: pytest.Config, report: pytest.TestReport) -> None:
    state: RunState = config.stash[STASH_STATE]
    if state.collector is not None:
        state.collector.add_report(report)


def setup_error_is_error(item: pytest.Item, call: pytest.CallInfo[Any],
                         report: pytest.TestReport) -> None:
    """A set-up that raised is an ``error``, never ``xfailed``: pytest's xfail marker (from
    the expectations file) covers set-up too, but an expected failure is the target's, and a
    fixture that could not build the bed says nothing about it."""
    excinfo = call.excinfo
    if call.when != "setup" or excinfo is None or not hasattr(report, "wasxfail"):
        return
    if excinfo.errisinstance((pytest.skip.Exception, pytest.xfail.Exception)):
        return
    del report.wasxfail
    report.outcome = "failed"
    report.longrepr = item._repr_failure_py(excinfo, style=item.config.getoption("tbstyle"))


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Any:
    outcome = yield
    report = outcome.get_result()
    setup_error_is_error(item, call, report)
    if call.when == "teardown":
        data = getattr(item, "_netconform_record", {})
        data["timing"] = timing.clock_of(item).to_dict()
        data["requirements"] = requirement_ids(item)
        if not data["requirements"]:
            data["no_requirement"] = True  # reported as such (terminal summary, report)
        if STASH_INTERMITTENT in item.stash:
            data["xfail_intermittent"] = item.stash[STASH_INTERMITTENT]
        report.user_properties.append((PROPERTY_KEY, json.dumps(data)))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Any:
    """After the test body: replay its exchange into the oracle (conformance.judge.timeline).

    Divergences go into the results; in ``enforce`` mode an unexplained one fails a test whose
    own assertions passed.
    """
    state: RunState = item.config.stash[STASH_STATE]
    bed = getattr(item, "funcargs", {}).get("bed")
    try:
        result = yield
    except BaseException:
        if bed is not None and state.lockstep != "off":
            with timing.lockstep_part(item):
                _lockstep(bed, state, item.nodeid)
        raise
    if bed is None or state.lockstep == "off":
        return result
    with timing.lockstep_part(item):
        unexplained, stale = _lockstep(bed, state, item.nodeid)
    if state.lockstep == "enforce" and (unexplained or stale):
        raise AssertionError(divergence_message(unexplained, stale, bed))
    return result


def _lockstep(bed: Any, state: RunState, test_id: str
              ) -> tuple[list[Divergence], list[store.Entry]]:
    """Replay the test into the oracle; (unexplained divergences, stale expectation entries)."""
    from conformance.author.exchange import Exchange
    from conformance.fabric.link import LinkTimeout

    try:
        # record whatever the target has still to say
        Exchange(bed).settle_trailing(getattr(bed.dut, "calls", ()))
    except (LinkTimeout, OSError):
        pass
    try:
        outcome = check_bed(bed)
    except Unsupported as exc:  # a test using an option or flag the oracle does not model
        pytest.fail(f"the oracle cannot judge this test: {exc}", pytrace=False)
    divergences, stale = state.store.explain_test(test_id, outcome.divergences)
    bed.evidence["lockstep"] = {"divergences": [d.to_dict() for d in divergences],
                                "oracle": outcome.decisions, "behaviour": outcome.behaviour}
    if stale:  # reported in every mode; enforce also fails the test
        bed.evidence["lockstep"]["stale_divergence_entries"] = [e.key() for e in stale]
    return [d for d in divergences if not d.explained], stale


def divergence_message(unexplained: list[Divergence], stale: list[store.Entry],
                       bed: Any) -> str:
    """The failure of a test whose own assertions passed: each unexplained divergence (field
    diff and the oracle's rule, with its decision record), each stale expectations entry."""
    lines = []
    if unexplained:
        lines.append("the target diverged from the oracle (unexplained):")
        for d in unexplained[:20]:
            lines.append(f"  {d.field}: oracle expected {d.expected}, target did "
                         f"{d.actual} [{d.rule or 'no rule: not predicted'}]")
            lines.append(f"    frame: {d.frame}")
        oracle = bed.evidence.get("lockstep", {}).get("oracle", [])
        rules = {d.rule for d in unexplained if d.rule}
        records = [r for r in oracle if r["rule"] in rules] or oracle[-8:]
        lines.append("  the oracle's decisions:")
        lines += [f"    {r['layer']}: {r['decision']} [{r['rule']}] {r['detail']}"
                  for r in records[:12]]
    for e in stale:
        lines.append(f"expected divergence not seen (stale entry in the expectations file): "
                     f"{e.key()}")
    return "\n".join(lines)


def pytest_sessionstart(session: pytest.Session) -> None:
    config = session.config
    # A plain function bound to this config: the controller collects every report.
    config.pluginmanager.register(_ReportSink(config), "netconform-sink")


class _ReportSink:
    def __init__(self, config: pytest.Config) -> None:
        self.config = config

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        _collect(self.config, report)


def incomplete_reason(session: pytest.Session, state: RunState, exitstatus: int) -> str | None:
    """Why the session did not run every selected test, or None when it did."""
    if state.stopped_by:
        return f"stopped by {state.stopped_by}"
    if session.shouldfail or session.shouldstop:
        return f"stopped early: {session.shouldfail or session.shouldstop}"
    if exitstatus not in COMPLETE_EXIT:
        return f"the session ended early (pytest exit status {int(exitstatus)})"
    return None


def rerun_id(item: pytest.Item) -> str:
    """The test's id as ``--suite`` takes it from anywhere: the project's own suites by their
    id ("suites/tcp/..."), a user's suite outside the project by its file's absolute path."""
    path = Path(str(item.path))
    if path.is_relative_to(PROJECT_DIR):
        return item.nodeid
    return str(path) + "::" + item.nodeid.split("::", 1)[1]


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    state: RunState = config.stash[STASH_STATE]
    if state.collector is None or not state.out_dir:  # (a run with results, not tests/)
        return
    unmarked = sorted(t["id"] for t in state.collector.tests.values()
                      if t.get("no_requirement"))
    if unmarked:
        terminalreporter.write_line(
            f"netconform: {len(unmarked)} test(s) without a requirement marker: "
            + ", ".join(unmarked[:5]) + (" ..." if len(unmarked) > 5 else ""))


@pytest.hookimpl(tryfirst=True)  # before xdist waits for its workers' processes to end
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    state: RunState = session.config.stash[STASH_STATE]
    if state.is_worker or state.collector is None:
        return
    workers = getattr(session.config.option, "numprocesses", None)
    state.collector.environment.update(state.target_env)
    state.collector.environment.setdefault("sysctls", state.dut_config.recorded_sysctls())
    state.collector.environment.setdefault("setup_commands", list(state.dut_config.setup_commands))
    state.collector.environment["workers"] = workers or 1
    judged = [t["judged_with"] for t in state.collector.tests.values() if t.get("judged_with")]
    if judged:  # the oracle's profile and the DUT sysctls it followed (set on the workers)
        state.collector.environment.setdefault("oracle", judged[0])
    why = incomplete_reason(session, state, exitstatus)
    if why:
        state.collector.mark_incomplete(why)
    try:
        if state.out_dir and state.collector.tests:
            from conformance.cli.output import write_outputs

            state.results = write_outputs(state, session.config)
    finally:
        if state.requirements is not None:
            state.requirements.cancel()


def pytest_unconfigure(config: pytest.Config) -> None:
    state: RunState | None = config.stash.get(STASH_STATE, None)
    if state is not None and not state.is_worker:
        reaper.reap()  # anything a killed xdist worker left behind (its processes are gone now)


# -- fixtures ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def target(pytestconfig: pytest.Config) -> Any:
    state: RunState = pytestconfig.stash[STASH_STATE]
    reason = target_class(state.target_name).unavailable_reason()
    if reason:
        pytest.exit(f"target {state.target_name} unavailable: {reason}", returncode=4)
    plan = naming.WorkerPlan(state.run_id, naming.worker_index())
    tgt = make_target(state.target_name, plan, state.dut_config)
    try:
        tgt.start()
        state.oracle = oracle_setup(tgt)
        state.target_env = tgt.environment() | {"oracle": state.oracle.record()}
        state.barrier = check_barrier(tgt)
        state.unavailable = worker_limits(state)
        yield tgt
    finally:
        tgt.stop()  # also after a partial start (Ctrl-C or SIGTERM during set-up)


def check_barrier(tgt: Any) -> str | None:
    """Once a worker, at bed set-up: the barrier probe the target answers
    (conformance.author.barriers.choose), on a bed of its own so no test's timeline holds the
    unanswered candidates. None: no probe is answered, "expect nothing" uses quiescence."""
    if not tgt.capabilities.replies_synchronously:
        return tgt.capabilities.barrier
    bed = tgt.begin_test("netconform-barrier-check")
    try:
        return barriers.for_bed(bed)
    finally:
        tgt.end_test(bed)


def worker_limits(state: RunState) -> list[str]:
    """What this worker's target cannot do here, one line each (reports.banners)."""
    lines = []
    if state.barrier != "echo" and (note := barriers.fallback_note(state.barrier)):
        lines.append(note)
    drops = state.target_env.get("drop_reasons")
    if isinstance(drops, str) and drops != "available":
        lines.append(drop_reasons_note(drops))
    return lines


def _safe_name(nodeid: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.\-\[\]]+", "_", nodeid)[-180:]


@pytest.fixture
def bed(target: Any, request: pytest.FixtureRequest) -> Any:
    state: RunState = request.config.stash[STASH_STATE]
    nodeid = request.node.nodeid
    _skip_unless_features(request.node, state, target)
    _skip_before_bed(request.node, state, target)
    test_bed = target.begin_test(nodeid)
    test_bed.oracle_profile = _oracle_profile(state, target)
    test_bed.capabilities = _bed_capabilities(state, test_bed.capabilities)
    if state.lockstep != "off":
        test_bed.dut = RecordingDutApi(test_bed.dut)
        record_sysctls(test_bed)
    record: dict[str, Any] = {"setup_s": round(test_bed.setup_s, 6)}
    if state.unavailable:
        record["unavailable"] = state.unavailable  # to the controller's environment
    if state.target_env and not state.target_env_sent:  # a worker's target's facts, once
        record["target_environment"] = state.target_env
        state.target_env_sent = True
    if state.oracle is not None:  # what the oracle judged this test with (profile, sysctls)
        record["judged_with"] = state.oracle.record()
    request.node._netconform_record = record
    try:
        mtu = request.node.get_closest_marker("link_mtu")
        if mtu is not None:
            set_link_mtu(test_bed, *mtu.args)
        yield test_bed
    finally:
        try:
            record.update(target.end_test(test_bed))
        finally:  # the pcap and the record are kept even when tear-down fails
            _keep_evidence(state, nodeid, test_bed, record, rerun_id(request.node))


def _oracle_profile(state: RunState, target: Any) -> Any:
    """What the oracle judges this worker's tests with."""
    return state.oracle.profile if state.oracle else target.oracle_profile()


def _bed_capabilities(state: RunState, caps: Any) -> Any:
    """A bed's capabilities with the run's choices: the barrier probe bed set-up found
    answered, or the fixed wait --expect-nothing-wait asked for."""
    if caps.replies_synchronously:
        caps = barriers.with_probe(caps, state.barrier)
    if state.fixed_wait is not None:
        caps = dataclasses.replace(caps, replies_synchronously=False, barrier_grace_s=None,
                                   quiescence_window_s=state.fixed_wait)
    return caps


def _skip_before_bed(node: pytest.Item, state: RunState, target: Any) -> None:
    """The skips a test's bed would make that need no bed (conformance.author.before_bed):
    its ``link_mtu`` marker's, then its ``before_bed`` checks, on the bed's preview."""
    callspec = getattr(node, "callspec", None)
    bed = preview(target.bed_hooks, _bed_capabilities(state, target.capabilities),
                  _oracle_profile(state, target), callspec.params if callspec else {})
    mtu = node.get_closest_marker("link_mtu")
    if mtu is not None:
        require_link_mtu(bed, *mtu.args)
    run_checks(node, bed)


def _skip_unless_features(node: pytest.Item, state: RunState, target: Any) -> None:
    """Skip a test whose ``needs`` marker asks for a feature the DUT has off."""
    from conformance.author.needs import unmet

    features: dict[str, Any] = {}
    for mark in node.iter_markers("needs"):
        features.update(mark.kwargs)
    if not features:
        return
    profile = _oracle_profile(state, target)
    sysctls = state.oracle.sysctls if state.oracle else {}
    route = state.oracle.route if state.oracle else {}
    try:
        reason = unmet(profile, features, sysctls, route)
    except ValueError as exc:
        raise pytest.UsageError(f"{node.nodeid}: {exc}") from None
    if reason is not None:
        pytest.skip(reason)


def _keep_evidence(state: RunState, nodeid: str, test_bed: Any, record: dict[str, Any],
                   suite_id: str) -> None:
    """The test's frames, pcap, lockstep outcome and rerun command, into its record."""
    record.update(test_bed.evidence.get("exchange_record", {}))
    record.update(test_bed.evidence.get("lockstep", {}))
    if IPSEC in test_bed.evidence:  # the test's SPD and SAD (conformance.author.ipsec)
        record["ipsec"] = test_bed.evidence[IPSEC]
    recorder = test_bed.link.recorder
    if recorder is not None:
        from conformance.cli.frames import frames_json

        record["frames"] = frames_json(recorder.frames, test_bed.evidence.get(IPSEC_CONFIG))
        if state.out_dir:
            rel = os.path.join("pcaps", _safe_name(nodeid) + ".pcap")
            recorder.write_pcap(os.path.join(state.out_dir, rel))
            record["pcap"] = rel
    record["rerun"] = shlex.join(
        ["netconform", "run", "--target", state.target_name, "--suite", suite_id]
        + [arg for folder in state.config.getoption("requirements")
           for arg in ("--requirements", os.path.abspath(folder))]
    )


@pytest.fixture
def dut(bed: Any) -> Any:
    return bed.dut


@pytest.fixture
def link(bed: Any) -> Any:
    return bed.link


@pytest.fixture
def endpoints(bed: Any) -> Any:
    return bed.endpoints


@pytest.fixture
def ex(bed: Any) -> Any:
    from conformance.author.exchange import Exchange

    exchange = Exchange(bed)
    yield exchange
    bed.evidence["exchange_record"] = exchange.record()

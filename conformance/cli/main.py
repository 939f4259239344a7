"""The ``netconform`` command line (the contract is in DESIGN.md).

    netconform run    [--target T] [-k EXPR] [--suite PATH] [-n N] [--out DIR]
    netconform fuzz   [--target T] [--engine hypothesis|boofuzz] [--budget S] [--seed S] [--out DIR]
    netconform replay FINDING_DIR
    netconform report RESULTS.json [MORE.json ...] [--out DIR]
    netconform gate   --baseline OLD.json RESULTS.json [--behaviour [--accept FILE]]
    netconform diff   BASE.json CANDIDATE.json
    netconform targets

Exit codes: 0 all as expected, 1 failures (or a regression, for gate), 2 usage or environment
errors, reported as one line on stderr without a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from conformance.cli import lifetime, rootless
from conformance.cli.rootless import UsageFailure
from conformance.fabric import reaper
from conformance.judge import expectations, store
from conformance.requirements import catalogue
from conformance.targets import UnknownTarget, availability, target_class, target_names
from reports.banners import limits
from reports.outcomes import intermittent_pass

SUITES_DIR = Path(__file__).resolve().parents[2] / "suites"
PYTEST_EXIT = {0: 0, 1: 1}


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse would print usage + exit 2 itself
        raise UsageFailure(message)


COMMANDS_GROUP = "netconform.commands"

GATE_DESCRIPTION = """\
Compare a candidate run with a baseline run. Without --behaviour: exit 1 on a regression (a
test that passed now fails, a new unexplained divergence, lost coverage); runs of another
target or kernel are refused (exit 2) unless --allow-target-change. With --behaviour: exit 1
on any change, test by test, in the choices the stack made where the RFCs leave latitude
(TTL, window, window scale, MSS, options, initial window, IP ID policy, timer classes, ICMP
errors sent) that the --accept file does not list; a kernel change is what it compares.
Bad input (unreadable results, a bad accept file): one line, exit 2."""

GATE_WORKFLOW = """\
the kernel CI gate, end to end:
  netconform run --out base       # 1. the baseline kernel (or --target vm --kernel OLD)
  netconform run --out cand       # 2. the candidate kernel (or --target vm --kernel NEW)
  netconform gate --baseline base/results.json cand/results.json --allow-target-change
                                  # 3. verdicts: exit 1 on a regression
  netconform gate --behaviour --baseline base/results.json cand/results.json \\
      --accept accepted.toml      # 4. behaviour: exit 1 on an unlisted change
  netconform diff base/results.json cand/results.json   # what changed, per test
  netconform report base/results.json cand/results.json --out report
                                  # both columns and the behaviour diff, in HTML
each run also writes OUT/junit.xml for the CI system; examples/ holds GitHub Actions and
GitLab CI jobs a kernel tree can copy."""


def build_parser() -> Parser:
    parser = Parser(prog="netconform", description="Conformance and fuzz testing of network stacks")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)

    run = sub.add_parser("run", help="run the conformance suites against a target")
    run.add_argument("--target", default="linux")
    run.add_argument("-k", dest="keyword", default=None, help="pytest -k expression")
    run.add_argument("--suite", action="append", default=[],
                     help="suite folder, file or test id (repeatable; default: all suites)")
    run.add_argument("--requirements", action="append", default=[], metavar="DIR",
                     help="a folder of your own catalogue files (*.toml), added to the built-in "
                          "requirements (repeatable)")
    run.add_argument("-n", dest="workers", type=int, default=0, help="parallel workers (xdist)")
    run.add_argument("--out", default="netconform-out")
    run.add_argument("--force", action="store_true",
                     help="write into an --out folder that holds other files (netconform's "
                          "own files from an earlier run are always replaced)")
    run.add_argument("--dut-sysctl", action="append", default=[], metavar="NAME=VALUE")
    run.add_argument("--dut-setup", action="append", default=[], metavar="CMD")
    run.add_argument("--lockstep", choices=("enforce", "record", "off"), default=None,
                     help="the oracle check of each test (default: the target's)")
    run.add_argument("--kernel", default=None, metavar="IMAGE",
                     help="--target vm: boot this kernel (bzImage or vmlinux) instead of Debian's")
    run.add_argument("--modules", default=None, metavar="DIR",
                     help="--target vm: the kernel's lib/modules/<version> folder")
    run.add_argument("-v", "--verbose", action="store_true")

    report = sub.add_parser("report", help="render results.json files as an HTML report")
    report.add_argument("results", nargs="+")
    report.add_argument("--out", default="netconform-report")

    gate = sub.add_parser("gate", help="exit 1 on any regression against a baseline",
                          description=GATE_DESCRIPTION, epilog=GATE_WORKFLOW,
                          formatter_class=argparse.RawDescriptionHelpFormatter)
    gate.add_argument("--baseline", required=True, help="the baseline run's results.json")
    gate.add_argument("results", help="the candidate run's results.json")
    gate.add_argument("--allow-target-change", action="store_true",
                      help="compare runs of different targets (or, without --behaviour, "
                           "kernels)")
    gate.add_argument("--behaviour", action="store_true",
                      help="gate on behaviour changes inside the RFCs' latitude instead of "
                           "verdicts: exit 1 on any change the --accept file does not list")
    gate.add_argument("--accept", metavar="FILE",
                      help="with --behaviour: a TOML file of accepted changes "
                           "([[accept]] test = PATTERN, field = FIELD, reason = TEXT)")

    diff = sub.add_parser("diff", help="behaviour changes inside the RFCs' latitude between "
                                       "two runs, per test")
    diff.add_argument("baseline", metavar="BASE.json")
    diff.add_argument("results", metavar="CANDIDATE.json")
    diff.add_argument("--allow-target-change", action="store_true",
                      help="compare runs of different targets")

    sub.add_parser("targets", help="list targets and whether each is usable here")
    for verbs in command_plugins():
        verbs(sub)  # e.g. fuzz/'s fuzz and replay (fuzz.cli.register)
    return parser


def command_plugins() -> list[Any]:
    """The ``register(subparsers)`` functions of the ``netconform.commands`` entry-point group:
    verbs other packages add (fuzz/ registers ``fuzz`` and ``replay``); the CLI imports none
    of them itself."""
    return [ep.load() for ep in metadata.entry_points(group=COMMANDS_GROUP)]


def plugin_args() -> list[str]:
    """Load our pytest plugin explicitly only when its entry point is not installed."""
    eps = metadata.entry_points(group="pytest11")
    return [] if any(ep.name == "netconform" for ep in eps) else ["-p", "conformance.cli.plugin"]


def check_target(name: str) -> None:
    try:
        reason = target_class(name).unavailable_reason()
    except UnknownTarget as exc:
        raise UsageFailure(str(exc)) from None
    if reason:
        raise UsageFailure(f"target {name} is not usable here: {reason}")


def use_kernel(args: argparse.Namespace) -> None:
    """--kernel/--modules go to the vm target (and its xdist workers) through the environment;
    a kernel that lacks a required option is one line naming it (conformance.targets.vm)."""
    if args.kernel is None and args.modules is None:
        return
    if args.target != "vm":
        raise UsageFailure("--kernel and --modules are for --target vm")
    if args.kernel is None:
        raise UsageFailure("--modules needs --kernel")
    from conformance.targets.vm import KernelUnusable
    from conformance.targets.vm import use_kernel as select

    try:
        select(args.kernel, args.modules)
    except KernelUnusable as exc:
        raise UsageFailure(str(exc)) from None


def check_data_files(target: str, user_requirements: tuple[str, ...] = ()) -> None:
    """Load the requirement catalogue and the target's expectations now, so that a malformed
    file is one clear line (exit 2) instead of a test-session error."""
    try:
        catalogue.load_with_user(list(user_requirements))
        cls = target_class(target)
        expectations.load(cls.expectations_file())
        store.load(cls.expectations_file(), None, cls.analyses_module)
    except (catalogue.CatalogueError, expectations.ExpectationsError) as exc:
        raise UsageFailure(str(exc)) from None


def check_dut_config(target: str, sysctls: list[str], setup: list[str]) -> None:
    """Every --dut-sysctl and --dut-setup item tried on a scratch DUT namespace before the
    first test: a bad one is one line naming it (exit 2), and no test runs."""
    from conformance.fabric.namespaces import DutConfig, parse_sysctl_items
    from conformance.targets.namespaced import DutConfigError
    from conformance.targets.namespaced import check_dut_config as check

    try:
        config = DutConfig(extra_sysctls=parse_sysctl_items(sysctls), setup_commands=tuple(setup))
    except ValueError as exc:
        raise UsageFailure(str(exc)) from None
    if not target_class(target).needs_privileges:
        return  # no DUT namespace: nothing the kernel could refuse
    try:
        check(config)
    except DutConfigError as exc:
        raise UsageFailure(f"DUT configuration refused: {exc}") from None


def rootdir(suites: list[str]) -> Path:
    """Where test ids start. The project's suites: the folder holding suites/, so that ids
    match the expectations files ("suites/tcp/..."). A user's suites outside the project
    (all of them): their common folder, so that an id keeps each file's path below it (two
    files with a same-named test are two results)."""
    paths = [Path(s.split("::", 1)[0]).resolve() for s in suites]
    if not paths or any(p.is_relative_to(SUITES_DIR.parent) for p in paths):
        return SUITES_DIR.parent
    common = Path(os.path.commonpath([str(p if p.is_dir() else p.parent) for p in paths]))
    return common


def pytest_args(args: argparse.Namespace) -> list[str]:
    suites = args.suite or [str(SUITES_DIR)]
    for suite in suites:
        if not Path(suite.split("::", 1)[0]).exists():
            raise UsageFailure(f"--suite {suite}: no such file or directory")
    if args.workers < 0:
        raise UsageFailure("-n must be 0 or more")
    # Test ids are relative to the folder holding suites/, wherever the package is installed,
    # so they match the expectations files ("suites/tcp/...").
    for folder in args.requirements:
        if not Path(folder).is_dir():
            raise UsageFailure(f"--requirements {folder}: not a folder")
    out = [*suites, *plugin_args(), f"--rootdir={rootdir(suites)}",
           "--target", args.target, "--netconform-out", args.out,
           "-p", "no:cacheprovider", "--tb=short", "-rfEX",
           # suites are not property tests: hypothesis's plugin would import all of
           # hypothesis at every worker's end (pytest rewrites its modules: ~1 s each)
           "-p", "no:hypothesispytest",
           "-W", "ignore::pytest.PytestAssertRewriteWarning"]
    if args.workers:
        out += ["-n", str(args.workers)]
    if args.keyword:
        out += ["-k", args.keyword]
    for item in args.dut_sysctl:
        out += ["--dut-sysctl", item]
    for cmd in args.dut_setup:
        out += ["--dut-setup", cmd]
    if args.lockstep:
        out += ["--lockstep", args.lockstep]
    for folder in args.requirements:
        out += ["--requirements", os.path.abspath(folder)]
    if rootdir(suites) != SUITES_DIR.parent:
        # a user's suite: files of one name in two folders are two modules (no packages)
        out += ["--import-mode=importlib"]
    out += ["-v"] if args.verbose else ["-q"]
    return out


def cmd_run(args: argparse.Namespace) -> int:
    import pytest

    use_kernel(args)
    check_target(args.target)
    check_data_files(args.target, tuple(args.requirements))
    argv = pytest_args(args)
    check_dut_config(args.target, args.dut_sysctl, args.dut_setup)
    try:
        lifetime.prepare_out(args.out, args.force)
        os.makedirs(args.out, exist_ok=True)
    except lifetime.OutDirRefused as exc:
        raise UsageFailure(str(exc)) from None
    except OSError as exc:
        raise UsageFailure(f"--out {args.out}: {exc.strerror}") from None
    run = RunWatch()
    code = pytest.main(argv, plugins=[run])
    from conformance.cli.plugin import written_results  # loaded by pytest.main by now

    results = written_results(run.config) or read_results(args.out)
    if code == 5:
        raise UsageFailure("no tests were collected (check --suite and -k)")
    if results is not None and not results.get("complete", True):  # the report has a banner
        raise UsageFailure(f"the run is incomplete ({results.get('incomplete_reason')}); "
                           f"the tests that ran are in {args.out}/ marked complete: false")
    if code not in PYTEST_EXIT:
        raise UsageFailure(f"the test run did not complete (pytest exit code {int(code)})")
    if results is not None:
        counts = ", ".join(f"{n} {k}" for k, n in results["summary"].items() if n)
        flaky = sum(intermittent_pass(test) for test in results["tests"])
        if flaky:  # passes of intermittent entries (expectations.py): not to be updated
            counts += f" ({flaky} of them intermittent)"
        print(f"netconform: {counts}; results in {args.out}/ (index.html, results.json, junit.xml)")
        for line in limits(results):  # also a banner in the report
            print(f"netconform: note: {line}")
    return PYTEST_EXIT[int(code)]


class RunWatch:
    """Passed to pytest.main: the run's config, to take its results without reading back the
    results.json just written (tens of megabytes)."""

    config: Any = None

    def pytest_configure(self, config: Any) -> None:
        self.config = config


def read_results(out: str) -> dict[str, Any] | None:
    try:
        with open(os.path.join(out, "results.json")) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def cmd_targets(args: argparse.Namespace) -> int:
    rootless_note = " (rootless: in a user namespace)" if rootless.inside() else ""
    for spec, reason in availability():
        if reason is None:
            status = "available" + (rootless_note if target_class(spec.name).needs_privileges
                                    else "")
        else:
            status = f"unavailable: {reason}"
        print(f"{spec.name:10} {status}  ({spec.summary})")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from reports.commands import report_command

    return report_command(args.results, args.out)


def cmd_gate(args: argparse.Namespace) -> int:
    from reports.commands import behaviour_gate_command, gate_command

    if args.behaviour:
        return behaviour_gate_command(args.baseline, args.results, args.accept,
                                      args.allow_target_change)
    if args.accept:
        raise UsageFailure("--accept goes with --behaviour")
    return gate_command(args.baseline, args.results, args.allow_target_change)


def cmd_diff(args: argparse.Namespace) -> int:
    from reports.commands import diff_command

    return diff_command(args.baseline, args.results, args.allow_target_change)


COMMANDS = {"run": cmd_run, "targets": cmd_targets, "report": cmd_report, "gate": cmd_gate,
            "diff": cmd_diff}
PRIVILEGED = ("run",)  # verbs that drive a target (a plugin's say so with needs_target)
PROBING = ("targets",)  # verbs that look at what a target could do: rootless when possible


def needs_privileges(args: argparse.Namespace) -> bool | None:
    """Whether this verb must run as root, or as root of a user namespace (True: it cannot
    work otherwise; False: it works better there, e.g. ``targets``); None: it never needs it.
    A verb without a --target (``replay``: the finding names it) counts as privileged."""
    if args.command in PROBING:
        return False
    if args.command not in PRIVILEGED and not getattr(args, "needs_target", False):
        return None
    target = getattr(args, "target", None)
    if target is None:
        return True
    if target not in target_names():
        check_target(target)
    return True if target_class(target).needs_privileges else None


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        lifetime.on_stop_signals()  # SIGINT works even when started with it ignored (cmd &)
        if rootless.inside():
            lifetime.die_with_parent()  # the unprivileged parent that re-executed us
        args = build_parser().parse_args(argv)
        reaper.reap()  # every verb: what a killed run left behind (as root; see rootless)
        required = needs_privileges(args)
        if required is not None:  # as root already: None; rootless: the re-executed verb
            reexec = rootless.reexec_if_needed(argv, required)
            if reexec is not None:
                return reexec
        handler = getattr(args, "handler", None) or COMMANDS[args.command]
        return handler(args)
    except UsageFailure as exc:
        print(f"netconform: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:
        print(f"netconform: interrupted ({exc or 'SIGINT'})", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

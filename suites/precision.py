"""The suite's precision against one sysctl at a time: ``python -m suites.precision``.

Runs the suites once with the DUT's defaults, then once per sysctl in the list with a
non-default value set run-wide (``netconform run --dut-sysctl``), and prints, per sysctl, how
many tests changed outcome against the default run and how many lockstep divergences were
unexplained (issue 18: each at most 15 changed, each with its reason, and 0 unexplained).
``-v`` lists the tests that changed, with their new outcome and its one-line reason.

    python -m suites.precision -k tcp --only tcp_sack tcp_dsack   # a subset while developing
    python -m suites.precision --out /tmp/precision                # the whole list
    python -m suites.precision --out /tmp/precision --reuse --only tcp_ecn  # a few at a time
    python -m suites.precision --out /tmp/precision --reuse --markdown docs/sysctl-precision.md

``--reuse`` takes a run already in ``--out`` (a complete results.json) instead of running it
again, so the list can be measured a few sysctls at a time on a shared machine and the table
written from every run at the end (``--markdown``: the table, each changed test with its
reason, and the command); ``--no-run`` then runs nothing and lists a setting without a run in
``--out`` as not measured. ``--keep FILE`` (a table this tool wrote, e.g. the one ``--markdown``
replaces) keeps the row and the changed tests of each setting without a run in ``--out`` as
FILE has them, measured in an earlier round against that round's default run:

    python -m suites.precision --out /tmp/p --reuse --no-run --keep docs/sysctl-precision.md \
        --markdown docs/sysctl-precision.md

A route attribute of issue 18 (``route initcwnd 4``) is set with ``--dut-setup`` on the DUT's
routes to the tester (its link's prefix routes, IPv4 and IPv6); the oracle reads each back and
applies it to the connections of its family (conformance.judge.sysctls.ROUTE_FAMILIES).

A test run once per address family (suites/conftest.py) is counted once in the *tests*
column, which the bound applies to; *cases* counts every run of it.

Exit status: 0 when every sysctl meets both bounds, 1 otherwise, 2 on a run that gave no
results (a sysctl this kernel refuses is reported and skipped).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from typing import Any

from suites.divergences import count

# One non-default value per sysctl of issue 18, each one that changes behaviour (with
# icmp_echo_ignore_all=1 the suites' barrier falls back to another probe,
# conformance/author/barriers.py), then the route attributes it names.
SYSCTLS: tuple[str, ...] = (
    "net.ipv4.tcp_rmem=4096 131072 262144",
    "net.ipv4.tcp_wmem=4096 32768 4194304",
    "net.ipv4.tcp_dsack=0",
    "net.ipv4.tcp_timestamps=0",
    "net.ipv4.tcp_sack=0",
    "net.ipv4.tcp_window_scaling=0",
    "net.ipv4.tcp_ecn=0",
    "net.ipv4.tcp_ecn=1",
    "net.ipv4.tcp_ecn_fallback=0",
    "net.ipv4.tcp_early_retrans=0",
    "net.ipv4.tcp_reordering=10",
    "net.ipv4.tcp_syn_retries=2",
    "net.ipv4.tcp_synack_retries=2",
    "net.ipv4.tcp_syn_linear_timeouts=0",
    "net.ipv4.tcp_retries1=1",
    "net.ipv4.tcp_retries2=5",
    "net.ipv4.tcp_orphan_retries=1",
    "net.ipv4.tcp_fin_timeout=10",
    "net.ipv4.tcp_keepalive_time=60",
    "net.ipv4.tcp_keepalive_intvl=5",
    "net.ipv4.tcp_keepalive_probes=2",
    "net.ipv4.tcp_rfc1337=1",
    "net.ipv4.tcp_abort_on_overflow=1",
    "net.ipv4.tcp_syncookies=0",
    "net.ipv4.tcp_syncookies=2",
    "net.ipv4.tcp_challenge_ack_limit=2",
    "net.ipv4.tcp_invalid_ratelimit=0",
    "net.ipv4.tcp_min_snd_mss=536",
    "net.ipv4.tcp_mtu_probing=2",
    "net.ipv4.tcp_base_mss=512",
    "net.ipv4.tcp_no_metrics_save=1",
    "net.ipv4.tcp_slow_start_after_idle=0",
    "net.ipv4.ip_default_ttl=32",
    "net.ipv4.ip_no_pmtu_disc=1",
    "net.ipv4.ipfrag_time=10",
    "net.ipv4.ipfrag_high_thresh=3145728",
    "net.ipv4.icmp_echo_ignore_broadcasts=0",
    "net.ipv4.icmp_ignore_bogus_error_responses=0",
    "net.ipv4.conf.all.arp_ignore=1",
    "net.ipv4.conf.all.arp_announce=2",
    "net.ipv4.conf.all.arp_accept=1",
    "net.ipv4.conf.all.rp_filter=1",
    "net.ipv4.conf.all.accept_source_route=1",
    "net.ipv4.conf.all.accept_local=1",
    "net.ipv4.conf.all.route_localnet=1",
    "net.ipv4.icmp_echo_ignore_all=1",
    "net.ipv6.conf.all.hop_limit=32",
    "net.ipv6.ip6frag_time=10",
    "net.ipv6.conf.all.accept_ra=0",
    "net.ipv6.conf.all.dad_transmits=0",
    "net.ipv6.icmp.echo_ignore_all=1",
    "route initcwnd 4",
    "route initrwnd 4",
    "route mtu 1400",
    "route advmss 1000",
    "route rto_min 50ms",
    "route quickack 1",
)
ROUTE = "route "  # a route attribute, not a sysctl
# the DUT's routes to the tester (the link's prefix routes, added with its addresses) changed,
# the IPv4 one and the IPv6 one: the oracle reads both, each for its own family
ROUTE_SETUP = ("ip -4 route change $(ip -4 route show proto kernel scope link | head -n1) {0}"
               " && ip -6 route change $(ip -6 route show proto kernel | grep -v ^fe80 | "
               "head -n1) {0}")
MAX_CHANGED = 15
# The tree this module runs from: each run runs its code (an installed `netconform` script runs
# the tree it was installed from, e.g. the main checkout rather than the worktree measured).
TREE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _load(path: str) -> dict[str, Any] | None:
    try:
        with open(path, encoding="utf-8") as f:
            results = json.load(f)
    except (OSError, ValueError):
        return None
    return results if isinstance(results, dict) and results.get("complete", True) else None


def run_suite(out: str, args: argparse.Namespace, sysctl: str | None) -> dict[str, Any] | None:
    """One `netconform run` of this tree's code (TREE) into ``out``; its results.json, or None
    when it wrote none (with ``--reuse``, a complete results.json already in ``out`` is taken
    as it is)."""
    path = os.path.join(out, "results.json")
    if args.reuse and (kept := _load(path)) is not None:
        return kept
    if args.no_run:
        return None
    cmd = [sys.executable, "-m", "conformance.cli.main", "run", "--target", args.target,
           "-n", str(args.workers), "--out", out]
    if args.keyword:
        cmd += ["-k", args.keyword]
    if sysctl and sysctl.startswith(ROUTE):
        cmd += ["--dut-setup", ROUTE_SETUP.format(sysctl[len(ROUTE):])]
    elif sysctl:
        cmd += ["--dut-sysctl", sysctl]
    if os.path.isdir(out):
        cmd.append("--force")  # a run of this sysctl made before: replaced
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (TREE, os.environ.get("PYTHONPATH")) if p)}
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)
    if not os.path.exists(path):
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        print(f"  {sysctl or 'default'}: no results (exit {proc.returncode}): {tail[0]}",
              file=sys.stderr)
        return None
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def outcomes(results: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """test id -> (outcome, one-line reason)."""
    out = {}
    for t in results.get("tests", []):
        text = str(t.get("message") or t.get("longrepr") or "")
        reason = next((ln.strip() for ln in reversed(text.splitlines())
                       if ln.strip().startswith(("E ", "Skipped"))), text.strip()[-160:])
        out[t["id"]] = (t["outcome"], re.sub(r"\s+", " ", reason)[:200])
    return out


FAMILY_PARAM = re.compile(r"(?<=[\[-])(ipv4-mapped|ipv4|ipv6)(?=[-\]])")


def test_of(case: str) -> str:
    """A case's test: its id without the address family parameter (suites/conftest.py runs a
    test once per family), so ``t[ipv4]`` and ``t[ipv6]`` are one test, ``t[ipv4-3]`` and
    ``t[ipv6-3]`` one too."""
    if "[" not in case:
        return case
    stem, params = case.split("[", 1)
    params = FAMILY_PARAM.sub("", "[" + params)
    params = re.sub(r"-{2,}", "-", params).replace("[-", "[").replace("-]", "]")
    return stem if params == "[]" else stem + params


def compare(base: dict[str, Any], run: dict[str, Any]) -> dict[str, Any]:
    """Cases whose outcome differs from the default run, how many tests they are (a test run
    for several families counted once: test_of), and the run's divergence counts."""
    before, after = outcomes(base), outcomes(run)
    changed = {tid: after[tid] for tid in after
               if tid in before and after[tid][0] != before[tid][0]}
    div = count(run)
    oracle = (run.get("environment") or {}).get("oracle") or {}
    return {"changed": changed, "tests": len({test_of(tid) for tid in changed}),
            "unexplained": div["unexplained"],
            "started": str(run.get("started", ""))[:16],
            "failed": sum(1 for o, _ in after.values() if o in ("failed", "error")),
            "not_modelled": oracle.get("not_modelled", {})}


def within_bounds(c: dict[str, Any]) -> bool:
    """Issue 18's bounds: at most MAX_CHANGED tests changed, 0 unexplained divergences."""
    return c["tests"] <= MAX_CHANGED and c["unexplained"] == 0


ROW = re.compile(r"\| `([^`]*)` \|")
SECTION = re.compile(r"## `([^`]*)`$")


def kept_rows(text: str) -> dict[str, tuple[str, list[str]]]:
    """A table this tool wrote (markdown), by setting: its row and its section's lines (the
    changed tests and the not-modelled notes; none for a setting that changed nothing). A row
    without a measurement is not kept."""
    rows: dict[str, str] = {}
    sections: dict[str, list[str]] = {}
    current = None  # the section being read, "" past the table and outside any section
    for line in text.splitlines():
        if (head := SECTION.match(line)) is not None:
            current = head.group(1)
            sections[current] = []
        elif (row := ROW.match(line)) is not None and current is None:
            if line.split("|")[2].strip() != "-":
                rows[row.group(1)] = line
        elif line.startswith("## "):
            current = ""
        elif current and line.strip():
            sections[current].append(line)
    return {name: (row, sections.get(name, [])) for name, row in rows.items()}


def markdown(rows: list[tuple[str, dict[str, Any] | None]], base: dict[str, Any],
             command: str, missing: str = "refused by this kernel or no results",
             kept: dict[str, tuple[str, list[str]]] | None = None) -> str:
    """The precision table as markdown: one row per sysctl, then each changed test with its
    new outcome and reason, and each DUT setting the oracle noted as not modelled. A setting
    without a run here takes its row and section from ``kept`` (kept_rows), when it has one."""
    kept = {name: kept[name] for name, c in rows if c is None and name in (kept or {})}
    lines = ["# Suite precision per sysctl (issue 18)", "",
             f"Generated by `{command}` against {base.get('target')} "
             f"(kernel {(base.get('environment') or {}).get('kernel', '?')}); do not edit.",
             "", f"Default run: {len(base.get('tests', []))} tests, "
             f"{count(base)['unexplained']} unexplained divergences. Bounds: at most "
             f"{MAX_CHANGED} tests change outcome, 0 unexplained divergences. A test run once "
             "per address family (its id's `[ipv4]`, `[ipv6]`, `[ipv4-mapped]`) counts once "
             "in *tests*; *cases* counts each run.", "",
             "| sysctl | tests changed | cases changed | unexplained | failed | within bounds "
             "| run started |",
             "|---|---:|---:|---:|---:|---|---|"]
    for sysctl, c in rows:
        if c is None:
            lines.append(kept[sysctl][0] if sysctl in kept
                         else f"| `{sysctl}` | - | - | - | - | {missing} | |")
            continue
        good = within_bounds(c)
        lines.append(f"| `{sysctl}` | {c['tests']} | {len(c['changed'])} | {c['unexplained']} | "
                     f"{c['failed']} | {'yes' if good else '**no**'} | {c['started']} |")
    if kept:
        lines += ["", f"{len(kept)} rows have no run in this round: kept from the table read "
                  "(--keep), each measured against the default run of its own round (its *run "
                  "started* dates it)."]
    for sysctl, c in rows:
        if c is None and kept.get(sysctl, ("", []))[1]:
            lines += ["", f"## `{sysctl}`", "", *kept[sysctl][1]]
            continue
        if c is None or not (c["changed"] or c["not_modelled"]):
            continue
        lines += ["", f"## `{sysctl}`", ""]
        for tid, (outcome, reason) in sorted(c["changed"].items()):
            lines.append(f"- {outcome}: `{tid}`: {reason.replace('|', '/')}")
        for key, note in c["not_modelled"].items():
            lines.append(f"- not modelled: `{key}` = {note}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m suites.precision",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--target", default="linux")
    parser.add_argument("-n", "--workers", type=int, default=2)
    parser.add_argument("-k", dest="keyword", default=None, help="pytest -k expression")
    parser.add_argument("--only", nargs="*", default=None, metavar="NAME",
                        help="sysctls of the list whose name contains one of these")
    parser.add_argument("--sysctl", action="append", default=[], metavar="NAME=VALUE",
                        help="measure this setting instead of the list (repeatable)")
    parser.add_argument("--out", default=None, help="keep each run's output here")
    parser.add_argument("--reuse", action="store_true",
                        help="take a complete run already in --out instead of running it again")
    parser.add_argument("--no-run", action="store_true",
                        help="with --reuse: run nothing, list a setting without a run as "
                             "not measured")
    parser.add_argument("--markdown", default=None, metavar="FILE",
                        help="also write the table, with every changed test, to FILE")
    parser.add_argument("--keep", default=None, metavar="FILE",
                        help="a table this tool wrote: a setting without a run in --out keeps "
                             "its row and changed tests from it")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    chosen = list(args.sysctl) or [s for s in SYSCTLS if not args.only
                                   or any(o in s.split("=")[0] for o in args.only)]
    root = args.out or tempfile.mkdtemp(prefix="nc-precision-")
    t0 = time.monotonic()
    base = run_suite(os.path.join(root, "default"), args, None)
    if base is None:
        return 2
    print(f"default: {len(base.get('tests', []))} tests, "
          f"{sum(1 for t in base['tests'] if t['outcome'] in ('failed', 'error'))} failed, "
          f"{count(base)['unexplained']} unexplained divergences")
    print(f"{'sysctl':52} {'tests':>5} {'cases':>5} {'unexplained':>11} {'failed':>6}")
    ok = True
    rows: list[tuple[str, dict[str, Any] | None]] = []
    for sysctl in chosen:
        name = re.sub(r"[^A-Za-z0-9_.]+", "_", sysctl)[:80]
        run = run_suite(os.path.join(root, name), args, sysctl)
        c = compare(base, run) if run is not None else None
        rows.append((sysctl, c))
        if c is None:
            continue
        good = within_bounds(c)
        ok = ok and good
        print(f"{sysctl:52} {c['tests']:5d} {len(c['changed']):5d} {c['unexplained']:11d} "
              f"{c['failed']:6d}{'' if good else '  <-'}", flush=True)
        if args.verbose:
            for tid, (outcome, reason) in sorted(c["changed"].items()):
                print(f"    {outcome:8} {tid}: {reason}")
            for key, note in c["not_modelled"].items():
                print(f"    not modelled: {key} = {note}")
    if args.markdown:
        command = "python -m suites.precision " + " ".join(
            a for a in (argv if argv is not None else sys.argv[1:]))
        kept = None
        if args.keep:
            with open(args.keep, encoding="utf-8") as f:
                kept = kept_rows(f.read())
        with open(args.markdown, "w", encoding="utf-8") as f:
            f.write(markdown(rows, base, command, "not measured in this round (--no-run)"
                             if args.no_run else "refused by this kernel or no results", kept))
    print(f"({time.monotonic() - t0:.0f} s; runs in {root})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

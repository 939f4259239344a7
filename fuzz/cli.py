"""The ``fuzz`` and ``replay`` verbs of the ``netconform`` command line, registered by fuzz/
itself through the ``netconform.commands`` entry-point group (pyproject.toml): the CLI in
conformance/ discovers them and never imports fuzz/ (data flows one way, DESIGN)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from fuzz.commands import ENGINES, SUMMARY_FILE, findings_of, fuzz_command, replay_command


def register(sub: Any) -> None:
    """Add the verbs to the CLI's subparsers; each sets ``handler`` (args -> exit code) and
    ``needs_target`` (run as root or in a user namespace when the target needs it)."""
    fuzz = sub.add_parser("fuzz", help="a differential fuzzing campaign against a target")
    fuzz.add_argument("--target", default="linux")
    fuzz.add_argument("--engine", choices=ENGINES, default="hypothesis")
    fuzz.add_argument("--budget", type=float, default=60.0, metavar="SECONDS")
    fuzz.add_argument("--seed", type=int, default=0)
    fuzz.add_argument("--out", default="netconform-fuzz")
    fuzz.add_argument("--dut-sysctl", action="append", default=[], metavar="NAME=VALUE",
                      help="sysctl set in every fresh DUT namespace (repeatable); the oracle "
                           "follows the ones it models")
    fuzz.add_argument("--family", choices=("ipv4", "ipv6"), default="ipv4",
                      help="the frames' family: ipv6 draws IPv6 header chains, extension "
                           "headers and options, fragment trains, ICMPv6 and ND (hypothesis, "
                           "boofuzz), the stateful engine's connection over IPv6")
    fuzz.add_argument("--web-ui", action="store_true", help="boofuzz's web UI (off by default)")
    fuzz.set_defaults(handler=cmd_fuzz, needs_target=True)

    replay = sub.add_parser("replay", help="rerun one saved fuzz finding")
    replay.add_argument("finding", help="a findings/<id>/ directory")
    replay.set_defaults(handler=cmd_replay, needs_target=True)  # rootless: the finding's target


def _sysctls(items: list[str]) -> dict[str, str] | None:
    out = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            return None
        out[name.strip()] = value.strip()
    return out


def cmd_fuzz(args: argparse.Namespace) -> int:
    from conformance.cli.output import write_fuzz_outputs
    from conformance.cli.plugin import harness_version

    sysctls = _sysctls(args.dut_sysctl)
    if sysctls is None:
        print(f"netconform: error: --dut-sysctl expects NAME=VALUE, got {args.dut_sysctl!r}",
              file=sys.stderr)
        return 2
    from conformance.cli.main import check_dut_config

    check_dut_config(args.target, args.dut_sysctl, [])  # a bad item: one line, exit 2
    code = fuzz_command(args.target, args.engine, args.budget, args.seed, args.out,
                        args.web_ui, sysctls, args.family)
    if code in (0, 1):
        summary_path = Path(args.out) / SUMMARY_FILE
        summary = json.loads(summary_path.read_text()) if summary_path.exists() else {}
        environment = {"oracle": summary.get("oracle"), "dut_sysctls": summary.get("dut_sysctls"),
                       "barrier": summary.get("barrier"),
                       "unavailable": summary.get("unavailable") or []}
        write_fuzz_outputs(args.target, args.out, findings_of(args.out), harness_version(),
                           environment)
        print(f"netconform: findings in {args.out}/ (index.html, results.json, findings/)")
    return code


def cmd_replay(args: argparse.Namespace) -> int:
    return replay_command(args.finding)

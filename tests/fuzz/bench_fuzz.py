"""Fuzzing benchmarks against the running kernel (JSON lines on stdout).

    python -m tests.fuzz.bench_fuzz [--seconds 10]

1. ``hypothesis_differential_cases_per_s``: the hypothesis engine on single-frame cases, every
   case run from CLOSED, LISTEN and ESTABLISHED and checked against the oracle. Measured after
   a warm-up campaign in the same output directory (the divergences already known are
   deduplicated, as in any campaign after its first minutes), so the figure is the steady
   state, not the cost of writing and shrinking the first findings.
2. ``boofuzz_differential_cases_per_s``: the boofuzz engine (IPv4/ICMP/UDP/TCP models through
   the tester link) with the oracle check in its post-case callback.
3. ``boofuzz_default_raw_l2_cases_per_s``: the yardstick, boofuzz's own default set-up
   (default Session, text logger, database writes after every case, receive after each
   request) on its RawL2SocketConnection, same models with an Ethernet header, no oracle.
4. ``esp_differential_cases_per_s``: the ESP engine (fuzz/esp_engine.py) against
   ``reference-inproc`` (the oracle on a virtual link, no kernel with ESP on the host): ESP
   cases built on the lab's SAs, sealed, sent, opened and judged, the oracle's ESP twice
   (target and oracle); the figure is the engine's own cost per case.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time

from boofuzz import FuzzLoggerText, Request, Session, Static, Target
from boofuzz.connections import RawL2SocketConnection

from conformance.fabric import netns, reaper
from fuzz.boofuzz_engine import requests, run_boofuzz
from fuzz.esp_engine import run_esp
from fuzz.hypothesis_engine import run_hypothesis
from fuzz.runner import Campaign
from fuzz.strategies import LinkAddresses
from fuzz.targets import build_target
from reference_stack.wire.ethernet import ETH_P_IP

ETH_P_ALL = 0x0003


def emit(name: str, value: float, unit: str, **extra: object) -> None:
    print(json.dumps({"name": name, "value": round(value, 1), "unit": unit, **extra}),
          flush=True)


def bench_hypothesis(seconds: float) -> None:
    with tempfile.TemporaryDirectory() as out:
        for phase in ("warmup", "measure"):
            target = build_target("linux")
            target.start()
            try:
                campaign = Campaign(target, out, seed=7 if phase == "warmup" else 8,
                                    budget_s=seconds, engine="hypothesis", progress=None)
                run_hypothesis(campaign, max_frames=1)
                summary = campaign.finish()
            finally:
                target.stop()
        emit("hypothesis_differential_cases_per_s", summary["cases_per_s"], "1/s",
             goal=">= 3000", cases=summary["cases"], divergences=summary["divergences"],
             unique_findings=summary["unique_findings"], states=3)


def bench_boofuzz(seconds: float) -> None:
    with tempfile.TemporaryDirectory() as out:
        target = build_target("linux")
        target.start()
        try:
            campaign = Campaign(target, out, seed=1, budget_s=seconds, engine="boofuzz",
                                progress=None)
            run_boofuzz(campaign)
            summary = campaign.finish()
        finally:
            target.stop()
    emit("boofuzz_differential_cases_per_s", summary["cases_per_s"], "1/s", goal=">= 1500",
         cases=summary["cases"], divergences=summary["divergences"])


def bench_esp(seconds: float) -> None:
    with tempfile.TemporaryDirectory() as out:
        target = build_target("reference-inproc")
        target.start()
        try:
            campaign = Campaign(target, out, seed=1, budget_s=seconds, engine="esp",
                                progress=None)
            run_esp(campaign)
            summary = campaign.finish()
        finally:
            target.stop()
    emit("esp_differential_cases_per_s", summary["cases_per_s"], "1/s",
         target="reference-inproc", cases=summary["cases"],
         divergences=summary["divergences"])


def with_ethernet(request: Request, addrs: LinkAddresses) -> Request:
    header = addrs.dut_mac + addrs.tester_mac + ETH_P_IP.to_bytes(2, "big")
    return Request(request.name + "-l2", children=(Static("eth", header), *request.stack))


def bench_boofuzz_default(seconds: float) -> None:
    target = build_target("linux")
    target.start()
    bed = target.begin_test("bench-boofuzz-default")
    counted: list[float] = []
    try:
        addrs = LinkAddresses.from_endpoints(bed.endpoints)
        with tempfile.TemporaryDirectory() as out, open(os.devnull, "w") as sink:
            connection = RawL2SocketConnection(bed.link.ifname, ethernet_proto=ETH_P_ALL)

            def count(target=None, fuzz_data_logger=None, session=None, **_):
                counted.append(time.perf_counter())
                if counted[-1] - counted[0] > seconds:
                    session._index_end = session.total_mutant_index

            session = Session(target=Target(connection=connection), keep_web_open=False,
                              fuzz_loggers=[FuzzLoggerText(file_handle=sink)],
                              db_filename=os.path.join(out, "boofuzz.db"),
                              post_test_case_callbacks=[count])
            for request in requests(addrs):
                session.connect(with_ethernet(request, addrs))
            with netns.entered(target.plan.tester_netns):
                session.fuzz()
    finally:
        target.end_test(bed)
        target.stop()
    rate = (len(counted) - 1) / (counted[-1] - counted[0]) if len(counted) > 1 else 0.0
    emit("boofuzz_default_raw_l2_cases_per_s", rate, "1/s", note="yardstick, no oracle",
         cases=len(counted))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    reaper.reap()
    bench_hypothesis(args.seconds)
    bench_boofuzz(args.seconds)
    bench_esp(args.seconds)
    bench_boofuzz_default(min(args.seconds, 10.0))


if __name__ == "__main__":
    main()

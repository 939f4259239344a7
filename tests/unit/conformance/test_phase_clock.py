"""The per-test timing record (conformance/cli/timing.py) and its split by
tests/bench/suite_time.py: the lockstep's share comes out of the call phase, waiting is the
body's wall time not spent on its CPU."""

import time

from conformance.cli.timing import PhaseClock
from tests.bench.suite_time import split, summarise


def test_the_lockstep_is_taken_out_of_the_call_phase():
    clock = PhaseClock("gw0")
    with clock.part("call"):
        time.sleep(0.02)  # the body waits: no CPU
        with clock.part("lockstep"):
            sum(range(200_000))  # the oracle: CPU
    record = clock.to_dict()
    assert record["worker"] == "gw0"
    assert record["call_s"] >= record["lockstep_s"] > 0
    assert abs(record["body_s"] - (record["call_s"] - record["lockstep_s"])) < 1e-5
    assert record["body_s"] >= 0.02 and record["body_cpu_s"] < 0.01


def test_split_sorts_a_tests_time_into_categories():
    timing = {"worker": "gw1", "start": 100.0, "setup_s": 0.004, "call_s": 1.5,
              "teardown_s": 0.003, "body_s": 1.49, "body_cpu_s": 0.01, "link_wait_s": 1.4,
              "lockstep_s": 0.01, "lockstep_cpu_s": 0.009}
    parts = split({"timing": timing})
    assert parts == {"overhead": 0.007, "link_wait": 1.4, "other_wait": 1.49 - 0.01 - 1.4,
                     "body_cpu": 0.01, "lockstep": 0.01}
    test = {"id": "t", "duration_s": 1.507, "timing": timing}
    out = summarise({"tests": [test], "summary": {}}, wall=3.0, t_start=99.0)
    assert out["start_up_s"] == 1.0 and out["end_s"] == round(102.0 - 101.507, 3)
    assert out["per_worker_busy_s"] == {"gw1": 1.507}
    assert split({"id": "old run"}) is None

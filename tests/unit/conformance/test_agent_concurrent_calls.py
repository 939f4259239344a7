"""Two calls in flight on one agent (a pending call's thread and the test's, e.g. the counters
read at the end of a test while a lingering close is pending): the agent answers both in one
write, and each call gets its own reply at once, whichever thread read the pipe (it waited
out its whole timeout when the other thread had read both lines)."""

import sys
import threading
import time

from conformance.dut.agent import AgentProcess

# Answers nothing until the second request came, then both replies in one write.
PAIRING_AGENT = r"""
import json, sys
first = json.loads(sys.stdin.readline())
second = json.loads(sys.stdin.readline())
sys.stdout.write("".join(json.dumps({"id": r["id"], "value": r["call"], "errno": 0}) + "\n"
                         for r in (first, second)))
sys.stdout.flush()
sys.stdin.readline()
"""


def test_both_calls_get_their_own_reply_when_one_thread_reads_both():
    proc = AgentProcess([sys.executable, "-c", PAIRING_AGENT], label="test agent")
    try:
        replies: dict[str, object] = {}
        first = threading.Thread(
            target=lambda: replies.setdefault("slow", proc.request("slow", [], 10.0)))
        first.start()
        time.sleep(0.2)  # the first call waits for its reply
        t0 = time.monotonic()
        replies["fast"] = proc.request("fast", [], 10.0)
        first.join(10.0)
        assert time.monotonic() - t0 < 2.0
        assert replies["slow"]["value"] == "slow" and replies["fast"]["value"] == "fast"
        assert proc.broken is None
    finally:
        proc.kill()

"""Names and addresses of everything the harness creates.

Every namespace and interface carries the ``nc-`` prefix, the run id and the worker index, so
pytest-xdist workers never collide and the reaper can tell which run owns what:
``nc-<run>-<worker>-t`` (tester namespace), ``nc-<run>-<worker>-d<seq>`` (DUT namespace and
its veth end), ``nc-<run>-<worker>-v<seq>`` (tester veth end). Interface names must fit in
15 bytes (IFNAMSIZ - 1), hence the short run id and base-36 sequence numbers.

Addresses come only from 198.18.0.0/15 (RFC 2544 benchmarking) and 2001:db8::/32 (RFC 3849):
worker ``w`` owns 198.18.<w>.0/24 and 2001:db8:<w>::/64.
"""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass

PREFIX = "nc-"
NAME_RE = re.compile(r"^nc-([0-9a-f]{4})-([0-9a-z]{1,2})-([a-z][0-9a-z]*)$")
MAX_WORKERS = 200
SEQ_WRAP = 36**3


RUN_ID_RE = re.compile(r"^[0-9a-f]{4}$")


def new_run_id() -> str:
    """A fresh run id, or the one NETCONFORM_RUN_ID pins (4 hex digits; for tests that must
    tell their run's namespaces from a concurrent run's)."""
    pinned = os.environ.get("NETCONFORM_RUN_ID", "")
    return pinned if RUN_ID_RE.match(pinned) else secrets.token_hex(2)


def worker_index() -> int:
    """0 outside xdist; N+1 for xdist worker ``gwN`` (so the controller and workers differ)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if worker.startswith("gw") and worker[2:].isdigit():
        return int(worker[2:]) + 1
    return 0


def base36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if n == 0:
            return out


def parse_name(name: str) -> tuple[str, str] | None:
    """(run id, worker) of a harness-made name, or None if the harness did not make it."""
    m = NAME_RE.match(name)
    return (m.group(1), m.group(2)) if m else None


@dataclass(frozen=True)
class WorkerPlan:
    """Names and addresses owned by one worker of one run."""

    run_id: str
    worker: int

    def __post_init__(self) -> None:
        if not 0 <= self.worker < MAX_WORKERS:
            raise ValueError(f"worker index {self.worker} out of range")
        if not RUN_ID_RE.match(self.run_id):
            # parse_name (the reaper's test of what the harness made) reads only these: a plan
            # with another run id would make names no later run could clean up.
            raise ValueError(f"run id {self.run_id!r} is not 4 hex digits")

    @property
    def stem(self) -> str:
        return f"{PREFIX}{self.run_id}-{base36(self.worker)}"

    @property
    def tester_netns(self) -> str:
        return f"{self.stem}-t"

    @property
    def tester_sink_bridge(self) -> str:
        return f"{self.stem}-b"

    # Sequence numbers wrap at 36**3 so names stay within 15 bytes; a namespace is deleted
    # long before its number comes round again.
    def dut_netns(self, seq: int) -> str:
        return f"{self.stem}-d{base36(seq % SEQ_WRAP)}"

    def dut_ifname(self, seq: int) -> str:
        return self.dut_netns(seq)

    def tester_ifname(self, seq: int) -> str:
        return f"{self.stem}-v{base36(seq % SEQ_WRAP)}"

    # Addresses (RFC 2544 198.18.0.0/15, RFC 3849 2001:db8::/32).
    @property
    def dut_ipv4(self) -> str:
        return f"198.18.{self.worker}.1"

    @property
    def tester_ipv4(self) -> str:
        return f"198.18.{self.worker}.2"

    def spare_ipv4(self, host: int) -> str:
        """Another on-link address the tester may use as a source (host 3..254)."""
        if not 3 <= host <= 254:
            raise ValueError("spare host number must be 3..254")
        return f"198.18.{self.worker}.{host}"

    @property
    def ipv4_prefix_len(self) -> int:
        return 24

    @property
    def dut_ipv6(self) -> str:
        return f"2001:db8:{self.worker:x}::1"

    @property
    def tester_ipv6(self) -> str:
        return f"2001:db8:{self.worker:x}::2"

    @property
    def dut_mac(self) -> str:
        return f"02:4e:43:{self.worker:02x}:00:01"

    @property
    def tester_mac(self) -> str:
        return f"02:4e:43:{self.worker:02x}:00:02"

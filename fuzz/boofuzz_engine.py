"""The boofuzz engine: boofuzz request models for the IPv4, ICMP, UDP and TCP headers (with
boofuzz's checksum and size primitives), sent through the harness's own tester link, each
case checked against the oracle in a post-case callback.

- :class:`LinkConnection` is a boofuzz target connection wrapping the current batch's tester
  link: it prepends an Ethernet header to the DUT's unicast MAC, pads to the Ethernet minimum
  and keeps the frame it sent. boofuzz reuses it across cases (no socket per case).
- The post-case callback feeds the same octets to the oracle, collects the target's answers
  up to a barrier, and hands the case to the campaign (findings, progress); it also rotates
  batches (fresh DUT, health probe) and stops boofuzz when the budget is spent.
- The web UI is off unless asked for; boofuzz's database goes to ``OUT/boofuzz.db`` and keeps
  only cases near a failure (its per-case disk writes are the main cost of its defaults).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from boofuzz import Block, Bytes, Checksum, Request, Session, Size, Target
from boofuzz.connections import ITargetConnection

from fuzz.boofuzz_fast import Byte, CountedRequest, DWord, Word
from fuzz.boofuzz_ipv6 import requests6
from fuzz.runner import Campaign
from fuzz.scenarios import Established, Listen
from fuzz.seqspace import PortMap
from fuzz.session import (
    CaseRecord,
    DifferentialSession,
    TargetUnresponsive,
    frame_ports,
    pad,
)
from fuzz.strategies import LinkAddresses
from fuzz.strategies_ipv6 import Link6
from reference_stack.wire.checksum import internet_checksum, pseudo_header_sum
from reference_stack.wire.ethernet import ETH_P_IP, ETH_P_IPV6, EthernetRepr
from reference_stack.wire.ipv4 import IPPROTO_TCP

CASES_PER_BATCH = 20000
PROGRESS_FILE = "boofuzz-progress.json"
WEB_PORT = 26000
BIG = ">"
TESTER_PORT = 40000
LISTENING_PORTS = (Listen.dut_port, Established.dut_port)


# -- request models ------------------------------------------------------------------------

def _ipv4_header(addrs: LinkAddresses, protocol: int, fuzz_header: bool) -> list:
    """RFC 791 3.1 header fields; the total length is a Size of the whole packet block and
    the header checksum a Checksum of the header block."""
    return [Block("ipv4-header", children=(
        Byte("version-ihl", 0x45, fuzzable=fuzz_header),
        Byte("tos", 0, fuzzable=fuzz_header),
        Size("total-length", block_name="ipv4", length=2, endian=BIG, inclusive=False,
             fuzzable=fuzz_header),
        Word("ident", 0x1234, endian=BIG, fuzzable=fuzz_header),
        Word("flags-fragment", 0x4000, endian=BIG, fuzzable=fuzz_header),
        Byte("ttl", 64, fuzzable=fuzz_header),
        Byte("protocol", protocol, fuzzable=fuzz_header),
        Checksum("header-checksum", block_name="ipv4-header", algorithm="ipv4", endian=BIG,
                 fuzzable=fuzz_header),
        Bytes("src", addrs.tester_ip, size=4, fuzzable=False),
        Bytes("dst", addrs.dut_ip, size=4, fuzzable=False),
    ))]


def _packet(name: str, addrs: LinkAddresses, protocol: int, l4: Block,
            fuzz_header: bool = False) -> Request:
    return CountedRequest(name, children=(
        Block("ipv4", children=(*_ipv4_header(addrs, protocol, fuzz_header), l4)),
    ))


def _tcp_checksum(addrs: LinkAddresses):
    """RFC 9293 3.1: the TCP checksum covers a pseudo-header (boofuzz's own algorithms cover
    UDP's only), computed here over the rendered segment."""
    def checksum(segment: bytes) -> bytes:
        initial = pseudo_header_sum(addrs.tester_ip, addrs.dut_ip, IPPROTO_TCP, len(segment))
        return internet_checksum(segment, initial).to_bytes(2, "big")
    return checksum


def requests(addrs: LinkAddresses) -> list[Request]:
    """The four models: IPv4 (header fuzzed, ICMP echo inside), ICMP, UDP, TCP."""
    ipv4 = _packet("ipv4-model", addrs, 1, _echo(fuzzable=False), fuzz_header=True)
    icmp = _packet("icmp-model", addrs, 1, _echo(fuzzable=True))
    udp = _packet("udp-model", addrs, 17, Block("udp", children=(
        Word("src-port", 40001, endian=BIG),
        Word("dst-port", 9, endian=BIG),
        Size("length", block_name="udp", length=2, endian=BIG),
        Checksum("checksum", block_name="udp", algorithm="udp", endian=BIG,
                 ipv4_src_block_name="src", ipv4_dst_block_name="dst"),
        Bytes("data", b"netconform", max_len=64),
    )))
    tcp = _packet("tcp-model", addrs, IPPROTO_TCP, Block("tcp", children=(
        Word("src-port", TESTER_PORT, endian=BIG, fuzzable=False),
        Word("dst-port", Listen.dut_port, endian=BIG),
        DWord("seq", 1000, endian=BIG),
        DWord("ack", 0, endian=BIG),
        Byte("data-offset", 0x50),
        Byte("flags", 0x02),
        Word("window", 64240, endian=BIG),
        Checksum("checksum", block_name="tcp", algorithm=_tcp_checksum(addrs), length=2,
                 endian=BIG),
        Word("urgent", 0, endian=BIG),
        Bytes("payload", b"", max_len=32),
    )))
    return [ipv4, icmp, udp, tcp]


def _echo(fuzzable: bool) -> Block:
    """An ICMP echo request (RFC 792) with its checksum over the message."""
    return Block("icmp", children=(
        Byte("type", 8, fuzzable=fuzzable), Byte("code", 0, fuzzable=fuzzable),
        Checksum("checksum", block_name="icmp", algorithm="ipv4", endian=BIG,
                 fuzzable=fuzzable),
        Word("ident", 0x4E43, endian=BIG, fuzzable=fuzzable),
        Word("seq", 1, endian=BIG, fuzzable=fuzzable),
        Bytes("data", b"netconform", max_len=64, fuzzable=fuzzable),
    ))


# -- the connection and the engine ---------------------------------------------------------

class LinkConnection(ITargetConnection):
    """boofuzz's view of the tester link of the engine's current batch."""

    def __init__(self, engine: BoofuzzEngine) -> None:
        self.engine = engine
        self.last_frame = b""

    def open(self) -> None:
        pass

    def close(self) -> None:
        pass

    def recv(self, max_bytes: int) -> bytes:
        return b""  # answers are collected by the post-case callback, up to a barrier

    def send(self, data: bytes) -> int:
        addrs = self.engine.session.addrs
        ethertype = ETH_P_IPV6 if self.engine.family == "ipv6" else ETH_P_IP
        frame = pad(EthernetRepr(addrs.dut_mac, addrs.tester_mac, ethertype,
                                 payload=bytes(data)).emit())
        self.engine.session.link.send(frame)
        self.last_frame = frame
        return len(data)

    @property
    def info(self) -> str:
        return "netconform tester link"


def state_of(frame: bytes) -> tuple[str, PortMap]:
    """The scenario a boofuzz frame lands in (by its TCP destination port) and its ports."""
    ports = frame_ports(frame)
    return ("LISTEN" if ports.dut in LISTENING_PORTS else "CLOSED"), ports


class BoofuzzEngine:
    def __init__(self, campaign: Campaign, web_ui: bool = False,
                 cases_per_batch: int = CASES_PER_BATCH, family: str = "ipv4") -> None:
        self.campaign = campaign
        self.family = family  # ipv6: the models of fuzz/boofuzz_ipv6.py
        self.web_ui = web_ui
        self.cases_per_batch = cases_per_batch
        self.session: DifferentialSession = campaign.open_batch()
        self.batch_cases = 0
        self.connection = LinkConnection(self)
        suffix = "-ipv6" if family == "ipv6" else ""
        self.progress_path = campaign.out / PROGRESS_FILE.replace(".json", f"{suffix}.json")
        self.fuzzer: Session | None = None

    def _start_index(self) -> int:
        if not self.progress_path.exists():
            return 1
        return json.loads(self.progress_path.read_text())["next_index"]

    def run(self) -> None:
        start = self._start_index()
        self.fuzzer = Session(
            target=Target(connection=self.connection),
            web_port=WEB_PORT if self.web_ui else None, keep_web_open=False,
            fuzz_loggers=[], db_filename=str(Path(self.campaign.out) / "boofuzz.db"),
            fuzz_db_keep_only_n_pass_cases=10, sleep_time=0.0, restart_sleep_time=0,
            receive_data_after_each_request=False, receive_data_after_fuzz=False,
            reuse_target_connection=True, index_start=start,
            post_test_case_callbacks=[self.after_case],
        )
        models = (requests6(Link6.from_endpoints(self.session.bed.endpoints))
                  if self.family == "ipv6" else requests(self.session.addrs))
        for request in models:
            self.fuzzer.connect(request)
        try:
            self.fuzzer.fuzz()
        finally:
            next_index = max(start, self.fuzzer.total_mutant_index + 1)
            self.progress_path.write_text(json.dumps({"next_index": next_index}))
            self.campaign.close_batch(self.session)

    def after_case(self, target: Any = None, fuzz_data_logger: Any = None,
                   session: Any = None, **kwargs: Any) -> None:
        """boofuzz's post-case callback: the oracle check, liveness, budget."""
        frame = self.connection.last_frame
        state, ports = state_of(frame)
        try:
            record = self.session.judge_sent(state, frame, ports)
        except TargetUnresponsive as exc:
            self.campaign.liveness(f"target unresponsive after a boofuzz case: {exc}",
                                   in_flight=CaseRecord(state, (frame,)))
            self._rotate()
            return
        self.campaign.observe(record)
        self.batch_cases += 1
        if self.campaign.done():
            self.fuzzer._index_end = self.fuzzer.total_mutant_index  # boofuzz stops here
        elif self.batch_cases >= self.cases_per_batch:
            self._rotate()

    def _rotate(self) -> None:
        """End the batch (health probe) and continue on a fresh DUT and oracle."""
        self.campaign.close_batch(self.session)
        self.session = self.campaign.open_batch()
        self.batch_cases = 0


def run_boofuzz(campaign: Campaign, web_ui: bool = False, **kwargs: Any) -> None:
    BoofuzzEngine(campaign, web_ui=web_ui, **kwargs).run()

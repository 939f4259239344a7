"""The ESP engine (``netconform fuzz --engine esp``, issue 15): the hypothesis engine's draws,
shrinking and example database (fuzz/hypothesis_engine.py) over structure-aware ESP cases
(fuzz/esp_cases.py) on a session whose target and oracle hold the same IPsec configuration
(fuzz/esp_lab.py): valid ESP, then unknown SPIs, sequence numbers around the anti-replay
window, ESN wrap, corrupted ICV, ciphertext and IV, truncation, bad padding, a Pad Length
past the data, dummy packets, a Next Header outside the SA's selector, and cleartext that a
PROTECT policy covers, over IPv4 and IPv6.

Both stacks' answers go through the one judge (conformance.judge.matching) after their ESP
is opened with the tester's end of the SA (:meth:`fuzz.esp_lab.EspLab.open`): the inner
packet is compared with the oracle's, with its variance, and the ESP fields (sequence
numbers, padding) beside it (:func:`fuzz.esp_lab.compare_meta`). Findings are written before
the next case and explained by the target's store, as every engine's.

A case's state is ``esp:<batch>:<window tops>``: the lab a batch installed and where each
SA's anti-replay window stood, so a replay (fuzz/replay.py) installs the same SAs with those
windows (Linux ``replay-seq``) before it sends the case's frames again.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from conformance.judge.divergence import Divergence
from conformance.targets.base import TestBed
from fuzz.esp_cases import TEMPLATES, EspCases
from fuzz.esp_lab import (
    TCP_PORT,
    TESTER_PORT,
    EspLab,
    EspMeta,
    EspProbes,
    compare_meta,
    esp_lab,
)
from fuzz.frames import tcp_ports
from fuzz.hypothesis_engine import HypothesisEngine
from fuzz.runner import Campaign
from fuzz.scenarios import CANONICAL_VIEW, CaseContext
from fuzz.seqspace import PortMap
from fuzz.session import CHOOSE_BARRIER, Answers, CaseRecord, DifferentialSession
from reference_stack.iface.ipsec import ESP_VARIANCE
from reference_stack.profiles import Profile
from reference_stack.stack import Reaction
from reference_stack.variance import Prediction

ESP_STATE = "esp"
CASES_PER_BATCH = 4000


def state_name(batch: int, tops: tuple[int, ...]) -> str:
    return f"{ESP_STATE}:{batch}:{','.join(map(str, tops))}"


def parse_state(state: str) -> tuple[int, tuple[int, ...]] | None:
    """(batch, window tops) of an ESP case's state, None for another engine's."""
    parts = state.split(":")
    if len(parts) != 3 or parts[0] != ESP_STATE:
        return None
    return int(parts[1]), tuple(int(t) for t in parts[2].split(",") if t)


class EspContext(CaseContext):
    """A case's context whose predictions are opened as the target's answers are (the ESP
    the oracle sent, decrypted: its IV is the oracle's own, RFC 4303 2.3, so only what the
    packet carried is comparable); the ESP fields each opened prediction held, in order."""

    def __init__(self, lab: EspLab) -> None:
        super().__init__(CANONICAL_VIEW, PortMap(TESTER_PORT, TESTER_PORT, TCP_PORT, TCP_PORT))
        self.lab = lab
        self.predicted: list[EspMeta] = []

    def to_target_prediction(self, prediction: Prediction) -> Prediction:
        frame, meta = self.lab.open(prediction.frame)
        if meta is None:
            return prediction
        self.predicted.append(meta)
        variance = {k: v for k, v in prediction.variance.items() if k not in ESP_VARIANCE}
        return Prediction(frame, prediction.rule, variance)


class EspSession(DifferentialSession):
    """A differential session with the lab's SPD and SAD in the target's DUT and the
    oracle (``tops``: the windows a replay starts from)."""

    def __init__(self, bed: TestBed, oracle_profile: Profile, seed: int = 0,
                 barrier: Any = CHOOSE_BARRIER, batch: int = 0, tops: tuple[int, ...] = ()
                 ) -> None:
        super().__init__(bed, oracle_profile, seed, barrier=barrier)
        ipv6 = bool(bed.endpoints.dut_ipv6) and oracle_profile.ipv6_ipsec
        lab = esp_lab(bed.endpoints, batch, ipv6)
        if tops:
            lab = _with_tops(lab, tops)
        self.lab = lab
        self.batch = batch
        bed.set_ipsec(lab.config)
        self.oracle.set_ipsec(lab.config)
        sad = self.oracle.iface.ipsec.sad
        self.windows = {s.sa.spi: s for s in sad.entries}
        self.cases = EspCases(lab, bed.endpoints.tester_mac, bed.endpoints.dut_mac,
                              bed.endpoints, self.windows)
        self.last_seq: dict[str, dict[int, int]] = {}
        if self.probes is not None:  # the barrier probe in ESP (fuzz.esp_lab.EspProbes)
            self.probes = EspProbes(lab, self.addrs.tester_mac, self.addrs.dut_mac,
                                    self.addrs.tester_ip, self.addrs.dut_ip)
        self.spent = False

    def tops(self) -> tuple[int, ...]:
        return tuple(self.windows[s.to_dut.spi].replay.top for s in self.lab.sas)

    def run_case(self, state: str, canonical: tuple[bytes, ...]) -> CaseRecord:
        """The case's frames to both stacks, each step judged; after a case they disagreed
        on, the windows are put together again (EspCases.resync)."""
        record = CaseRecord(state_name(self.batch, self.tops()), canonical)
        ctx = EspContext(self.lab)
        for frame in canonical:
            self.exchange(ctx, frame, record)
        if record.mismatches:
            self._resync()
        self.spent = self.spent or self.cases.spent()
        return record

    def _resync(self) -> None:
        """Valid packets past every sequence number sent, to both; what they get is not
        judged (a UDP datagram's port unreachable, nothing for a RST)."""
        frames = self.cases.resync()
        if frames is None:
            self.spent = True
            return
        for frame in frames:
            self.send_both(frame, frame)
        for _ in self.answers(lambda f: False).unpredicted:  # (the probe's reply, background)
            self.matcher.unpredicted_frame()

    def _answers(self, ctx: CaseContext, record: CaseRecord) -> Answers:
        """The target's frames up to the barrier: all but background traffic and TCP of
        other ports than the case's (an ICMP error quoting the decrypted datagram quotes
        protocol 17 or 6, not the ESP sent, so the case's quote match does not apply)."""
        return self.answers(lambda f: (ports := tcp_ports(f)) is None or ports[1] == TESTER_PORT)

    def judge_step(self, ctx: CaseContext, reaction: Reaction, answers: list[bytes],
                   unpredicted: Sequence[int] = ()) -> list[Divergence]:
        opened = [self.lab.open(f) for f in answers]
        found = super().judge_step(ctx, reaction, [frame for frame, _ in opened], unpredicted)
        if isinstance(ctx, EspContext):
            actual = [meta for _, meta in opened if meta is not None]
            found += compare_meta(ctx.predicted, actual, self.last_seq)
            ctx.predicted = []
        return found


def _with_tops(lab: EspLab, tops: tuple[int, ...]) -> EspLab:
    """The lab with each SA to the DUT starting from a window at ``tops`` (a replay)."""
    sas = []
    for s, top in zip(lab.sas, tops, strict=False):
        sas.append(dataclasses.replace(s, to_dut=dataclasses.replace(s.to_dut, replay_seq=top)))
    config = dataclasses.replace(lab.config, sas=(*(x for s in sas
                                                      for x in (s.from_dut, s.to_dut)),
                                                    lab.probe))
    return EspLab(tuple(sas), config, lab.probe)


class EspEngine(HypothesisEngine):
    """The hypothesis engine with the ESP templates, one frame a case, on ESP sessions."""

    def __init__(self, campaign: Campaign, cases_per_batch: int = CASES_PER_BATCH) -> None:
        super().__init__(campaign, states=(ESP_STATE,), max_frames=1,
                         cases_per_batch=cases_per_batch)
        self.templates = TEMPLATES
        self.db_key = b"netconform:esp"
        campaign.session_factory = self.session

    def session(self, bed: TestBed, profile: Profile, seed: int, barrier: Any,
                family: str = "ipv4") -> EspSession:
        # (family: the campaign's, always ipv4 here: the ESP lab's SAs carry both families)
        return EspSession(bed, profile, seed, barrier=barrier, batch=self.campaign.batches)

    def decoder(self, session: DifferentialSession) -> EspCases:  # type: ignore[override]
        return session.cases  # type: ignore[attr-defined]

    def batch_spent(self, session: DifferentialSession) -> bool:
        return bool(getattr(session, "spent", False))


def run_esp(campaign: Campaign, **kwargs: Any) -> None:
    EspEngine(campaign, **kwargs).run()

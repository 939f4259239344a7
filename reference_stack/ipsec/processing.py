"""IPsec processing of one host (RFC 4301 5): outbound, a packet's SPD-O entry decides
(BYPASS, DISCARD, PROTECT with an SA, 5.1); inbound, an ESP packet is found its SA, checked
for replay, authenticated, decrypted and read (RFC 4303 3.4), and every packet delivered
passes the SPD-I check (RFC 4301 5.2). Sans-IO: the IVs come from the caller's seeded source.

Each verdict carries the rule it applied (a catalogue id, or the LINUX- refinement the
profile selects) and a detail; the interface (reference_stack/iface/ipsec.py) records it."""

from __future__ import annotations

import dataclasses
import errno
import random
from collections.abc import Callable
from dataclasses import dataclass

from reference_stack.ipsec import esp
from reference_stack.ipsec.config import (
    BYPASS,
    DISCARD,
    ESP,
    IN,
    IPPROTO_ESP,
    OUT,
    REQUIRED,
    TUNNEL,
    IpsecConfig,
    Policy,
    Template,
)
from reference_stack.ipsec.replay import OK, REPLAYED, TOO_OLD, ZERO
from reference_stack.ipsec.sad import Sad, SaState
from reference_stack.ipsec.spd import Flow, Spd
from reference_stack.profiles import Profile

SEQ_MAX = 0xFFFFFFFF

# RFC 4301 5.1 and 5.2, 4.4.1
RULE_BYPASS = "RFC4301-5.1-MUST-bypass-policy"
RULE_DISCARD_OUT = "RFC4301-5.1-MUST-discard-policy"
RULE_PROTECT = "RFC4301-5.1-MUST-protect-policy"
RULE_NO_SA = "RFC4301-5.1-MUST-protect-without-sa"
RULE_NO_MATCH = "RFC4301-4.4.1-MUST-no-match-discard"
RULE_DISCARD_IN = "RFC4301-5.2-MUST-discard-policy"
RULE_BYPASS_IN = "RFC4301-5.2-MUST-bypass-policy"
RULE_CLEARTEXT = "RFC4301-5.2-MUST-cleartext-against-protect"
RULE_PROTECTED_IN = "RFC4301-5.2-MUST-protected-as-policy"
RULE_SA_SELECTOR = "RFC4301-5.2-MUST-sa-selector-check"
RULE_HARD_LIFETIME = "RFC4301-4.4.2.1-MUST-hard-lifetime"
RULE_SOFT_LIFETIME = "RFC4301-4.4.2.1-MUST-soft-lifetime"
# RFC 4303
RULE_ENCAPSULATE = "RFC4303-3.3-MUST-encapsulate"
RULE_SEQ_OVERFLOW = "RFC4303-3.3.3-MUST-no-sequence-cycle"
RULE_NO_SA_IN = "RFC4303-3.4.2-MUST-discard-no-sa"
RULE_REPLAY = "RFC4303-3.4.3-MUST-replay-check"
RULE_ICV = "RFC4303-3.4.4.1-MUST-icv-check"
RULE_PAD_LENGTH = "RFC4303-2.5-MUST-pad-length"
RULE_PADDING = "RFC4303-2.4-SHOULD-inspect-padding"
RULE_DUMMY = "RFC4303-2.6-MUST-discard-dummy"
RULE_DECAPSULATED = "RFC4303-3.4.4.2-MUST-decrypt"
# Linux's choices (reference_stack/profiles.py)
LINUX_NO_POLICY = "LINUX-xfrm_lookup_with_ifid-no-policy-bypass"
LINUX_NO_POLICY_IN = "LINUX-__xfrm_policy_check-no-policy-accept"
LINUX_BLOCK_EPERM = "LINUX-xfrm_lookup_with_ifid-block-eperm"
LINUX_LARVAL_DROP = "LINUX-xfrm_lookup_with_ifid-larval-drop"
LINUX_PADDING = "LINUX-esp_remove_trailer-padding-unchecked"
LINUX_LEVEL_USE = "LINUX-xfrm_policy_ok-level-use"
LINUX_OVERFLOW = "LINUX-xfrm_replay_overflow-eoverflow"
LINUX_EXPIRED = "LINUX-xfrm_state_check_expire-einval"
LINUX_ADVANCE = "LINUX-xfrm_input-replay-advance-after-input"
LINUX_EMPTY_PAYLOAD = "LINUX-esp_remove_trailer-empty-payload"


@dataclass(frozen=True)
class Verdict:
    """What IPsec made of a packet: `ok` (go on, with `data` and `proto`: the packet's
    transport or, from an ESP packet, what it carried), else dropped; `rule` and `detail`
    say why; `errno` is what a socket's send sees of an outbound drop (0: nothing)."""

    ok: bool
    rule: str
    detail: str = ""
    data: bytes = b""
    proto: int = 0
    sa: SaState | None = None
    errno: int = 0
    tunnel: tuple[bytes, bytes] | None = None  # outbound tunnel mode: outer (src, dst)
    # Decisions taken on the way, before this one: (rule, detail) each (the SPD lookup's
    # order, the transform that opened the packet).
    notes: tuple[tuple[str, str], ...] = ()


class IpsecState:
    """The SPD and SAD of one stack (no global state: one per reference stack)."""

    def __init__(self, config: IpsecConfig, profile: Profile, rng: random.Random) -> None:
        self.config = config
        self.profile = profile
        self.rng = rng
        priority = profile.ipsec_policy_priority
        self.spd_out = Spd(config.policies, OUT, priority)
        self.spd_in = Spd(config.policies, IN, priority)
        self.sad = Sad(config.sas)
        # What the last datagram's output failed with, for the socket that sent it (Linux
        # returns an SA's output error from the send: xfrm_output_one); 0: nothing.
        self.send_errno = 0

    # -- outbound (RFC 4301 5.1) -----------------------------------------------------------

    def _no_policy(self, inbound: bool) -> Verdict:
        if self.profile.ipsec_no_policy_bypass:
            # Linux: a host without a matching policy sends and accepts in the clear
            # (xfrm_lookup_with_ifid returns the route; __xfrm_policy_check with no policy).
            return Verdict(True, LINUX_NO_POLICY_IN if inbound else LINUX_NO_POLICY,
                           "no policy")
        # RFC 4301 4.4.1: a packet no SPD entry matches is discarded.
        return Verdict(False, RULE_NO_MATCH, "no policy")

    def route(self, flow: Flow) -> Verdict:
        """The SPD-O's decision for a flow, before any packet exists (a socket's send: Linux
        looks the policy up with the route, xfrm_lookup_route, and a DISCARD is the call's
        error)."""
        policy = self.spd_out.lookup(flow)
        if policy is None:
            return self._no_policy(False)
        notes = (_lookup_note(self.spd_out, policy),)
        if policy.action == BYPASS:
            return Verdict(True, RULE_BYPASS, "", notes=notes)
        if policy.action == DISCARD:
            if self.profile.ipsec_block_eperm:
                return Verdict(False, LINUX_BLOCK_EPERM, "send fails: EPERM", errno=errno.EPERM,
                               notes=notes)
            return Verdict(False, RULE_DISCARD_OUT, "", notes=notes)
        return Verdict(True, RULE_PROTECT, "", notes=notes)

    def outbound(self, flow: Flow, data: bytes, proto: int,
                 inner: Callable[[], tuple[bytes, int]]) -> Verdict:
        """RFC 4301 5.1 for a packet: cleartext, dropped, or ESP (RFC 4303 3.3) of `data`
        of protocol `proto` (transport mode, 3.1.1) or of what `inner()` gives: the whole
        datagram and its Next Header, 4 or 41 (tunnel mode, 3.1.2)."""
        policy = self.spd_out.lookup(flow)
        if policy is None or policy.action != "protect":
            return self.route(flow)
        sa_state, template = self._sa_for(policy, flow)
        notes = (_lookup_note(self.spd_out, policy),)
        if sa_state is None:
            # RFC 4301 5.1: no SA for a PROTECT entry: the key manager is asked for one and
            # the packet discarded (or queued).
            if self.profile.xfrm_larval_drop:
                return Verdict(False, LINUX_LARVAL_DROP, "no SA: acquire, packet dropped",
                               notes=notes)
            return Verdict(False, RULE_NO_SA, "no SA", notes=notes)
        if template.mode == TUNNEL:
            data, proto = inner()
        verdict = self.protect(sa_state, data, proto, template.mode == TUNNEL)
        return dataclasses.replace(verdict, notes=notes + verdict.notes)

    def _sa_for(self, policy: Policy, flow: Flow) -> tuple[SaState | None, Template]:
        """The SA of the policy's first template that has one (an SA bundle, several
        templates applied in turn, is not modelled yet); a `required` one without: none."""
        for template in policy.templates:
            found = self.sad.outbound(template, flow.src, flow.dst)
            if found is not None:
                return found, template
            if template.level == REQUIRED:
                return None, template
        return None, policy.templates[0]

    def protect(self, s: SaState, data: bytes, proto: int, tunnel: bool) -> Verdict:
        if s.hard_expired():
            # RFC 4301 4.4.2.1: past its hard lifetime the SA is not used.
            if self.profile.xfrm_expired_einval:
                return Verdict(False, LINUX_EXPIRED, f"SPI {s.sa.spi:#x} expired",
                               errno=errno.EINVAL)
            return Verdict(False, RULE_HARD_LIFETIME, f"SPI {s.sa.spi:#x} expired")
        seq = s.oseq + 1
        if seq > SEQ_MAX and not s.sa.esn:
            # RFC 4303 3.3.3: without ESN the counter MUST NOT cycle: a new SA is needed.
            if self.profile.xfrm_overflow_eoverflow:
                return Verdict(False, LINUX_OVERFLOW, f"SPI {s.sa.spi:#x} at {s.oseq}",
                               errno=errno.EOVERFLOW)
            return Verdict(False, RULE_SEQ_OVERFLOW, f"SPI {s.sa.spi:#x} at {s.oseq}")
        s.oseq = seq
        s.count(len(data))
        iv = self.rng.getrandbits(8 * s.transform.iv_len).to_bytes(s.transform.iv_len, "big")
        packet = esp.encapsulate(s.transform, s.sa.spi, seq, s.sa.esn, iv, data, proto)
        return Verdict(True, RULE_ENCAPSULATE, f"SPI {s.sa.spi:#x} seq {seq}", packet,
                       IPPROTO_ESP, s, tunnel=(s.src, s.dst) if tunnel else None,
                       notes=((s.transform.rule, s.transform.name),))

    # -- inbound (RFC 4303 3.4) ------------------------------------------------------------

    def inbound(self, dst: bytes, packet: bytes) -> Verdict:
        """An ESP packet to us: what it carries, or why it was dropped."""
        if len(packet) < esp.HEADER.size:
            return Verdict(False, RULE_NO_SA_IN, "truncated ESP header")
        spi, seq_low = esp.HEADER.unpack_from(packet)
        s = self.sad.inbound(spi, ESP, dst)
        if s is None:
            # RFC 4303 3.4.2: no valid SA: discard (an auditable event, no ICMP).
            return Verdict(False, RULE_NO_SA_IN, f"SPI {spi:#x}")
        if s.hard_expired():
            return Verdict(False, RULE_HARD_LIFETIME, f"SPI {spi:#x} expired")
        seq = s.replay.infer(seq_low)
        seen = s.replay.check(seq)
        if seen != OK:
            # RFC 4303 3.4.3: the duplicate check comes first, before the ICV.
            why = {ZERO: "sequence number 0", REPLAYED: "replayed",
                   TOO_OLD: "left of the window"}[seen]
            return Verdict(False, RULE_REPLAY, f"seq {seq}: {why}")
        header = packet[:esp.HEADER.size]
        plaintext = s.transform.open(header, esp.seq_high(seq, s.sa.esn),
                                     packet[esp.HEADER.size:])
        if plaintext is None:
            return Verdict(False, RULE_ICV, f"SPI {spi:#x} seq {seq}")
        # Linux: the window moves (and the lifetime counts) only once esp_input succeeded
        # (xfrm_input: xfrm_replay_advance after x->type->input), and esp_input_done2 fails
        # a Pad Length past the data and a dummy packet alike (-EINVAL).
        after_input = self.profile.xfrm_replay_advance_after_input
        kept = ((LINUX_ADVANCE, "window not advanced"),) if after_input else ()
        if not after_input:
            s.replay.update(seq)  # RFC 4303 3.4.3: only after the ICV verified
            s.count(len(packet))
        opened = esp.read_trailer(plaintext)
        if opened is None:
            return Verdict(False, RULE_PAD_LENGTH, "Pad Length past the data", sa=s,
                           notes=kept)
        if not opened.payload and self.profile.esp_trailer_needs_payload:
            # Linux esp_remove_trailer: a Pad Length that leaves no payload is refused too.
            return Verdict(False, LINUX_EMPTY_PAYLOAD, "no payload before the padding", sa=s,
                           notes=kept)
        if not self.profile.esp_padding_unchecked and not esp.padding_valid(opened.padding):
            return Verdict(False, RULE_PADDING, "padding not 1, 2, 3, ...", sa=s)
        if opened.next_header == esp.NEXT_HEADER_DUMMY:
            # RFC 4303 2.6: a dummy packet is discarded after decryption.
            return Verdict(False, RULE_DUMMY, f"SPI {spi:#x} seq {seq}", sa=s, notes=kept)
        if after_input:
            s.replay.update(seq)
            s.count(len(packet))
        rule = LINUX_PADDING if self.profile.esp_padding_unchecked else RULE_DECAPSULATED
        return Verdict(True, rule, f"SPI {spi:#x} seq {seq}", opened.payload,
                       opened.next_header, s, notes=((s.transform.rule, s.transform.name),))

    def inbound_policy(self, flow: Flow, secpath: tuple[SaState, ...]) -> Verdict:
        """RFC 4301 5.2: a packet about to be delivered (cleartext, or what `secpath`'s SAs
        decrypted) against the SA selectors and the SPD-I."""
        for s in secpath:
            if s.selector is not None and not s.selector.matches(flow):
                return Verdict(False, RULE_SA_SELECTOR, f"outside SPI {s.sa.spi:#x}'s selector")
        policy = self.spd_in.lookup(flow)
        if policy is None:
            return self._no_policy(True)
        verdict = self._inbound_policy(policy, secpath)
        return dataclasses.replace(verdict, notes=(_lookup_note(self.spd_in, policy),))

    @staticmethod
    def _inbound_policy(policy: Policy, secpath: tuple[SaState, ...]) -> Verdict:
        if policy.action == DISCARD:
            return Verdict(False, RULE_DISCARD_IN)
        if policy.action == BYPASS:
            return Verdict(True, RULE_BYPASS_IN)
        used = list(secpath)
        for template in policy.templates:
            match = next((s for s in used if _fits(s, template)), None)
            if match is not None:
                used.remove(match)
            elif template.level == REQUIRED:
                rule = RULE_PROTECTED_IN if secpath else RULE_CLEARTEXT
                return Verdict(False, rule, f"no SA of {template.mode} {template.proto}")
            elif not secpath:
                # Linux: a template of level `use` is optional (xfrm_policy_ok).
                return Verdict(True, LINUX_LEVEL_USE, "level use: cleartext allowed")
        return Verdict(True, RULE_PROTECTED_IN, "as the policy asks")


def _lookup_note(spd: Spd, policy: Policy) -> tuple[str, str]:
    return spd.rule, f"{policy.direction} {policy.action} priority {policy.priority}"


def _fits(s: SaState, template: Template) -> bool:
    sa = s.sa
    return (sa.proto == template.proto and sa.mode == template.mode
            and (not template.reqid or sa.reqid == template.reqid))

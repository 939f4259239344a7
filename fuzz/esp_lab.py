"""The ESP fuzz engine's IPsec set-up (issue 15): the SPD and SAD one batch installs in the DUT
and the oracle alike (reference_stack/ipsec/config.py, conformance/dut/xfrm.py), the tester's
end of each SA (reference_stack/ipsec/peer.py), and how an ESP frame either stack sends is
opened so that the judge compares what it carried.

Per family (IPv4, and IPv6 where the target has it) two SA pairs in transport mode, each with
its PROTECT policies (RFC 4301 4.4.1) and an SA selector (4.4.2.1):

- ``udp``: UDP between tester and DUT, any port (a datagram to a closed port is answered
  with an ICMP port unreachable, in the clear: no policy covers ICMP);
- ``tcp``: TCP to and from the DUT's :data:`TCP_PORT`, closed: a segment there is answered
  with a RST, which the ``tcp`` SA from the DUT protects (RFC 4303 3.3): an encrypted reply.

ICMP and the health probe's TCP port stay in the clear, so the barrier probe (an echo) and
the liveness handshake work as in every campaign. Batches rotate the transforms (RFC 8221:
AES-GCM, ChaCha20-Poly1305, AES-CBC and NULL with HMAC-SHA-256-128), ESN (RFC 4303 2.2.1) and
the replay window's size.

An ESP frame is opened (:meth:`EspLab.open`) into the frame it would be without ESP: the
outer header carrying the decrypted transport (Next Header as its protocol, lengths and
checksum fixed), so the one matcher compares inner packets with the oracle's variance; what
only ESP holds (SPI, sequence number, padding) is kept beside it (:class:`EspMeta`) and
compared by :func:`compare_meta`.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from conformance.author import barriers
from conformance.dut.xfrm import host_prefix
from conformance.fabric.link import Barrier
from conformance.judge.divergence import HOST_STATE, Divergence
from reference_stack.ipsec.config import (
    AES_CBC,
    AES_GCM,
    CHACHA20_POLY1305,
    HMAC_SHA256,
    IN,
    IPPROTO_ESP,
    NULL_ENC,
    OUT,
    PROTECT,
    Algorithm,
    IpsecConfig,
    Policy,
    SecurityAssociation,
    Selector,
    Template,
)
from reference_stack.ipsec.esp import HEADER
from reference_stack.ipsec.peer import EspPeer
from reference_stack.wire.checksum import internet_checksum
from reference_stack.wire.frame import build_frame
from reference_stack.wire.icmpv4 import Icmpv4Repr
from reference_stack.wire.ipv4 import Ipv4Repr

UDP, TCP, ICMP = 17, 6, 1
PROBE_SPI = 0x4F00
TCP_PORT = 7  # a closed DUT port whose TCP is protected: SYNs there get RSTs in ESP
TESTER_PORT = 40500  # the tester's port in every inner datagram of a case
RULE_SEQUENCE = "RFC4303-3.3.3-MUST-sequence-from-one"
RULE_PADDING = "RFC4303-2.4-MUST-padding-content"
ETH = 14

_KEY16, _KEY32, _SALT = bytes(range(0x11, 0x21)), bytes(range(0x51, 0x71)), b"\x1a\x2b\x3c\x4d"
_AUTH = Algorithm(HMAC_SHA256, bytes(range(0x91, 0xB1)), 128)
# RFC 8221 5, 6: the MUST transforms and the SHOULD one, as the SA's fields.
TRANSFORMS: tuple[tuple[str, dict[str, Algorithm]], ...] = (
    ("aes-gcm-16", {"aead": Algorithm(AES_GCM, _KEY16 + _SALT, 128)}),
    ("chacha20-poly1305", {"aead": Algorithm(CHACHA20_POLY1305, _KEY32 + _SALT, 128)}),
    ("aes-cbc-hmac-sha256", {"enc": Algorithm(AES_CBC, _KEY16), "auth": _AUTH}),
    ("null-hmac-sha256", {"enc": Algorithm(NULL_ENC, b""), "auth": _AUTH}),
)
WINDOWS = (32, 64)


@dataclass(frozen=True)
class LabSa:
    """One SA pair of the lab: what its policies cover (``proto``, and for TCP the DUT's
    port), the SA to the DUT (the tester seals with it) and the one from it (the tester
    opens with it)."""

    name: str
    ipv6: bool
    proto: int
    to_dut: SecurityAssociation
    from_dut: SecurityAssociation
    transform: str


@dataclass(frozen=True)
class EspMeta:
    """What an opened ESP packet held besides its payload (RFC 4303 2)."""

    spi: int
    seq: int
    padding: bytes
    summary: str


@dataclass
class EspLab:
    sas: tuple[LabSa, ...]
    config: IpsecConfig
    probe: SecurityAssociation  # the barrier probe's SA (EspProbes)
    peers: dict[int, EspPeer] = field(default_factory=dict)  # from-DUT SPI -> its opener

    def __post_init__(self) -> None:
        self.peers = {lab.from_dut.spi: EspPeer(lab.from_dut) for lab in self.sas}

    def describe(self) -> str:
        return ", ".join(f"{s.name} {s.transform} window {s.to_dut.replay_window}"
                         f"{' esn' if s.to_dut.esn else ''}" for s in self.sas)

    def open(self, frame: bytes) -> tuple[bytes, EspMeta | None]:
        """``frame`` without its ESP (RFC 4303 3.4.4: decrypted, the trailer read; the outer
        header carrying what ESP did), and the ESP fields; the frame unchanged and None when
        it is not an ESP frame of the lab's SAs from the DUT, or its ICV fails."""
        where = _esp_offset(frame)
        if where is None:
            return frame, None
        packet = frame[where:]
        if len(packet) < HEADER.size:
            return frame, None
        spi, seq = HEADER.unpack_from(packet)
        peer = self.peers.get(spi)
        opened = peer.open(packet) if peer is not None else None
        if opened is None:
            return frame, None
        meta = EspMeta(spi, seq, opened.padding,
                       f"ESP spi={spi:#x} seq={seq} next header {opened.next_header}")
        return decapsulated(frame, where, opened.next_header, opened.payload), meta


def _esp_offset(frame: bytes) -> int | None:
    """Where the ESP header starts in an IPv4 or IPv6 frame whose IP header is followed by
    ESP, else None."""
    ethertype = frame[12:14]
    if ethertype == b"\x08\x00" and len(frame) >= ETH + 20 and frame[ETH + 9] == IPPROTO_ESP:
        return ETH + (frame[ETH] & 0x0F) * 4
    if ethertype == b"\x86\xdd" and len(frame) >= ETH + 40 and frame[ETH + 6] == IPPROTO_ESP:
        return ETH + 40
    return None


def decapsulated(frame: bytes, where: int, next_header: int, payload: bytes) -> bytes:
    """The frame with ``payload`` of protocol ``next_header`` in place of its ESP (RFC 4303
    3.1.1: transport mode's inner packet has the outer header's addresses)."""
    head = bytearray(frame[:where])
    if head[12:14] == b"\x08\x00":
        head[ETH + 9] = next_header
        struct.pack_into("!H", head, ETH + 2, len(head) - ETH + len(payload))
        head[ETH + 10:ETH + 12] = b"\x00\x00"
        struct.pack_into("!H", head, ETH + 10, internet_checksum(bytes(head[ETH:])))
    else:
        head[ETH + 6] = next_header
        struct.pack_into("!H", head, ETH + 4, len(payload))
    return bytes(head) + payload


def compare_meta(predicted: list[EspMeta], actual: list[EspMeta], last: dict[str, dict[int, int]]
                 ) -> list[Divergence]:
    """The ESP fields of the target's packets against the oracle's, SA by SA in order.
    Sequence numbers as steps (RFC 4303 3.3.3: each packet's is the last one's plus one):
    the target's next is its last plus the oracle's step, so one extra or missing packet (a
    divergence of its own) does not make every later one diverge. ``last`` keeps each
    stack's last sequence number per SPI ("oracle", "target")."""
    found: list[Divergence] = []
    mine, theirs = last.setdefault("oracle", {}), last.setdefault("target", {})
    for spi in dict.fromkeys(m.spi for m in predicted + actual):
        preds = [m for m in predicted if m.spi == spi]
        acts = [m for m in actual if m.spi == spi]
        for p, a in zip(preds, acts, strict=False):
            expected = theirs.get(spi, 0) + p.seq - mine.get(spi, 0)
            if a.seq != expected:
                found.append(Divergence("field", "esp.seq", str(expected), str(a.seq),
                                        RULE_SEQUENCE, a.summary, HOST_STATE, "esp"))
            if a.padding != p.padding:
                found.append(Divergence("field", "esp.padding", p.padding.hex(),
                                        a.padding.hex(), RULE_PADDING, a.summary, HOST_STATE,
                                        "esp"))
        if preds:
            mine[spi] = preds[-1].seq
        if acts:
            theirs[spi] = acts[-1].seq
    return found


def _pair(name: str, ipv6: bool, proto: int, tester: str, dut: str, spi: int, reqid: int,
          batch: int, index: int) -> tuple[LabSa, tuple[Policy, ...]]:
    transform, algo = TRANSFORMS[(batch + index) % len(TRANSFORMS)]
    esn = (batch + index) % 2 == 1
    window = WINDOWS[(batch // 2 + index) % len(WINDOWS)]
    port = TCP_PORT if proto == TCP else 0
    sel_in = Selector(host_prefix(tester), host_prefix(dut), proto, 0, port)
    sel_out = Selector(host_prefix(dut), host_prefix(tester), proto, port, 0)
    common = {"reqid": reqid, "replay_window": window, "esn": esn, **algo}
    to_dut = SecurityAssociation(spi, tester, dut, selector=sel_in, **common)
    from_dut = SecurityAssociation(spi | 0x100, dut, tester, selector=sel_out, **common)
    template = (Template(reqid=reqid),)
    policies = (Policy(OUT, sel_out, PROTECT, 0, template),
                Policy(IN, sel_in, PROTECT, 0, template))
    return LabSa(name, ipv6, proto, to_dut, from_dut, transform), policies


def esp_lab(endpoints: object, batch: int, ipv6: bool) -> EspLab:
    """The batch's SAs and policies for the DUT and tester addresses of ``endpoints``
    (conformance.targets.base.Endpoints); IPv6 ones too when ``ipv6``."""
    families = [(False, endpoints.tester_ipv4, endpoints.dut_ipv4)]  # type: ignore[attr-defined]
    if ipv6:
        families.append((True, endpoints.tester_ipv6, endpoints.dut_ipv6))  # type: ignore
    sas: list[LabSa] = []
    policies: list[Policy] = []
    for f, (v6, tester, dut) in enumerate(families):
        suffix = "6" if v6 else "4"
        for i, (name, proto) in enumerate((("udp", UDP), ("tcp", TCP))):
            index = 2 * f + i
            lab, pols = _pair(name + suffix, v6, proto, tester, dut, 0x4000 + 0x10 * index,
                              index + 1, batch, index)
            sas.append(lab)
            policies.extend(pols)
    tester, dut = endpoints.tester_ipv4, endpoints.dut_ipv4  # type: ignore[attr-defined]
    probe = SecurityAssociation(PROBE_SPI, tester, dut, aead=TRANSFORMS[0][1]["aead"],
                                selector=Selector(host_prefix(tester), host_prefix(dut), ICMP))
    config = IpsecConfig(tuple(policies), (*(s for lab in sas
                                             for s in (lab.from_dut, lab.to_dut)), probe))
    return EspLab(tuple(sas), config, probe)


class EspProbes:
    """The barrier probe of an ESP session: an ICMP echo request in ESP (the probe SA, its
    selector ICMP; no policy covers ICMP, so the reply comes in the clear). Linux delivers
    what a transport-mode SA decrypted from a per-CPU queue, after the softirq that received
    it (xfrm4_rcv_encap_finish, xfrm6_transport_finish2: xfrm_trans_queue, run by the
    xfrm_trans_reinject tasklet): a plain echo sent after an ESP packet is answered before
    what the ESP packet carried; one in ESP waits in the same queue behind it."""

    def __init__(self, lab: EspLab, tester_mac: bytes, dut_mac: bytes, src: bytes,
                 dst: bytes) -> None:
        self.peer = EspPeer(lab.probe)
        self.macs, self.addrs = (tester_mac, dut_mac), (src, dst)
        self.kind = "echo"

    def next(self) -> Barrier:
        seq = self.peer.seq + 1
        ident = barriers.BARRIER_IDENT
        echo = Icmpv4Repr(8, 0, ident << 16 | seq & 0xFFFF, barriers.BARRIER_PAYLOAD).emit()
        packet = self.peer.seal(echo, ICMP)
        src, dst = self.addrs
        frame = build_frame(*self.macs, Ipv4Repr(src, dst, IPPROTO_ESP, packet))
        return Barrier(frame, barriers.echo_reply_predicate(ident, seq & 0xFFFF))

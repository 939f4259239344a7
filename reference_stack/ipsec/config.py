"""IPsec configuration as data (RFC 4301 4.4): the Security Policy Database's entries and the
Security Associations, the same frozen values a test states, the DUT installs
(conformance/dut/xfrm.py) and the oracle gets (reference_stack/ipsec/state.py).

Addresses are prefix strings ("198.18.0.1/32", "2001:db8::/64"); a port or protocol of 0 is
"any" (RFC 4301 4.4.1.1: ANY). Algorithm names are Linux's crypto API names, which is also
what `ip xfrm state` takes, so one value names the transform for both sides."""

from __future__ import annotations

from dataclasses import dataclass, field

IN, OUT, FWD = "in", "out", "fwd"
PROTECT, BYPASS, DISCARD = "protect", "bypass", "discard"
TRANSPORT, TUNNEL = "transport", "tunnel"
REQUIRED, USE = "required", "use"  # a template's level (Linux: `level required|use`)
ESP = "esp"
IPPROTO_ESP = 50

# The transforms (RFC 8221 2: MUST / SHOULD algorithms), by their Linux crypto API names.
AES_GCM = "rfc4106(gcm(aes))"  # RFC 4106
CHACHA20_POLY1305 = "rfc7539esp(chacha20,poly1305)"  # RFC 7634
AES_CBC = "cbc(aes)"  # RFC 3602
NULL_ENC = "ecb(cipher_null)"  # RFC 2410
HMAC_SHA256 = "hmac(sha256)"  # RFC 4868 (HMAC-SHA-256-128: icv_bits 128)


@dataclass(frozen=True)
class Selector:
    """RFC 4301 4.4.1.1 selectors: local/remote address ranges (as the packet's source and
    destination), the Next Layer Protocol and its ports (0: ANY)."""

    src: str = "0.0.0.0/0"
    dst: str = "0.0.0.0/0"
    proto: int = 0
    sport: int = 0
    dport: int = 0

    @property
    def ipv6(self) -> bool:
        return ":" in self.src or ":" in self.dst


@dataclass(frozen=True)
class Template:
    """What a PROTECT policy requires (RFC 4301 4.4.1.2, "IPsec processing information"):
    the protocol, the mode, the tunnel's outer addresses, and Linux's reqid binding it to an
    SA and level (`required`: an SA MUST be applied; `use`: applied when one exists)."""

    proto: str = ESP
    mode: str = TRANSPORT
    src: str = ""  # tunnel mode: the outer header's source and destination
    dst: str = ""
    reqid: int = 0
    level: str = REQUIRED


@dataclass(frozen=True)
class Policy:
    """An SPD entry (RFC 4301 4.4.1): a direction, a selector and what to do with a packet it
    matches; `priority` orders entries as Linux does (lower first, then insertion order)."""

    direction: str
    selector: Selector
    action: str
    priority: int = 0
    templates: tuple[Template, ...] = ()

    def __post_init__(self) -> None:
        if self.direction not in (IN, OUT, FWD):
            raise ValueError(f"policy direction {self.direction!r}")
        if self.action not in (PROTECT, BYPASS, DISCARD):
            raise ValueError(f"policy action {self.action!r}")
        if (self.action == PROTECT) != bool(self.templates):
            raise ValueError("a PROTECT policy has templates, and only it")


@dataclass(frozen=True)
class Algorithm:
    """A transform by its Linux crypto API name, its key (for AES-GCM and ChaCha20-Poly1305
    the key and the 4-octet salt, RFC 4106 8.1, RFC 7634 2) and its ICV length in bits."""

    name: str
    key: bytes
    icv_bits: int = 128


@dataclass(frozen=True)
class Lifetime:
    """RFC 4301 4.4.2.1 "SA Lifetime": soft and hard limits, 0: none."""

    soft_bytes: int = 0
    hard_bytes: int = 0
    soft_packets: int = 0
    hard_packets: int = 0


@dataclass(frozen=True)
class SecurityAssociation:
    """An SAD entry (RFC 4301 4.4.2.1): identified by SPI, protocol and destination
    (4.4.2, 4.1), with its transform: `aead`, or `enc` and `auth`."""

    spi: int
    src: str
    dst: str
    mode: str = TRANSPORT
    aead: Algorithm | None = None
    enc: Algorithm | None = None
    auth: Algorithm | None = None
    reqid: int = 0
    replay_window: int = 32
    esn: bool = False
    lifetime: Lifetime = field(default_factory=Lifetime)
    selector: Selector | None = None
    proto: str = ESP
    # Where the counters start (Linux `replay-oseq` and `replay-seq`): the last sequence
    # number sent, and the highest one received (to test the edges: RFC 4303 3.3.3, 3.4.3).
    oseq: int = 0
    replay_seq: int = 0

    def __post_init__(self) -> None:
        if (self.aead is None) == (self.enc is None and self.auth is None):
            raise ValueError("an SA has an AEAD transform or encryption and integrity")


@dataclass(frozen=True)
class IpsecConfig:
    """The SPD (policies in the order given) and the SAD of one host."""

    policies: tuple[Policy, ...] = ()
    sas: tuple[SecurityAssociation, ...] = ()

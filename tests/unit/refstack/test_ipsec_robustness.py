"""Whatever ESP arrives for a configured SA (truncated, any SPI, sequence number, body, ICV,
padding or Next Header), the oracle answers with a Reaction, never raises, and records the
rule it applied to the packet (a fuzz oracle must reason about anything on the wire)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reference_stack.ipsec.config import (
    AES_CBC,
    AES_GCM,
    CHACHA20_POLY1305,
    HMAC_SHA256,
    IN,
    NULL_ENC,
    PROTECT,
    Algorithm,
    IpsecConfig,
    Policy,
    SecurityAssociation,
    Selector,
    Template,
)
from reference_stack.ipsec.peer import EspPeer
from reference_stack.profiles import LINUX, RFC
from tests.unit.refstack.harness import RawPeer, make_stack

A, B = "198.18.0.10", "198.18.0.11"
AUTH = {"auth": Algorithm(HMAC_SHA256, bytes(32))}
TRANSFORMS = ({"aead": Algorithm(AES_GCM, bytes(20), 64)},
              {"aead": Algorithm(CHACHA20_POLY1305, bytes(36), 128)},
              {"enc": Algorithm(AES_CBC, bytes(16)), **AUTH},
              {"enc": Algorithm(NULL_ENC, b""), **AUTH})


def _receiver(profile, algo: dict, esn: bool):
    sa = SecurityAssociation(0x200, B, A, esn=esn, **algo)
    s = make_stack(profile)
    s.set_ipsec(IpsecConfig((Policy(IN, Selector(f"{B}/32", f"{A}/32"), PROTECT, 0,
                                    (Template(),)),), (sa,)))
    return s, EspPeer(sa), RawPeer(s)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(which=st.integers(0, len(TRANSFORMS) - 1), esn=st.booleans(),
       profile=st.sampled_from((LINUX, RFC)), payload=st.binary(max_size=64),
       next_header=st.integers(0, 255), seq=st.integers(0, (1 << 33)),
       spi=st.sampled_from((0x200, 0x201, 0)), pad=st.one_of(st.none(), st.binary(max_size=20)),
       pad_length=st.one_of(st.none(), st.integers(0, 255)), corrupt=st.booleans(),
       cut=st.integers(0, 80))
def test_any_esp_packet_is_judged(which, esn, profile, payload, next_header, seq, spi, pad,
                                  pad_length, corrupt, cut):
    s, peer, raw = _receiver(profile, TRANSFORMS[which], esn)
    if "enc" in TRANSFORMS[which] and TRANSFORMS[which]["enc"].name == AES_CBC:
        pad = None  # (CBC encrypts whole blocks only: the peer pads to them)
    packet = peer.seal(payload, next_header, seq=seq, spi=spi, pad=pad, pad_length=pad_length,
                       corrupt_icv=corrupt)
    if cut:
        packet = packet[:-cut]
    reaction = s.receive(raw.ip_frame(50, packet), 0.0)
    assert any(d.layer == "ipsec" for d in reaction.trace), reaction.trace

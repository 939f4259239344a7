"""A test's ESP Security Associations between the DUT and the tester (RFC 4301 4.4.2), one
each way, with the PROTECT entries that use them (transport mode, UDP unless told), for each
transform the catalogue covers (RFC 8221 5, 6). The tester's end is conformance.author.esp."""

from __future__ import annotations

from typing import Any

from conformance.author.esp import EspTester
from conformance.author.ipsec import set_ipsec
from conformance.dut.xfrm import host_prefix
from reference_stack.ipsec.config import (
    AES_CBC,
    AES_GCM,
    CHACHA20_POLY1305,
    HMAC_SHA256,
    IN,
    NULL_ENC,
    OUT,
    PROTECT,
    TRANSPORT,
    TUNNEL,
    Algorithm,
    IpsecConfig,
    Policy,
    SecurityAssociation,
    Template,
)
from suites.ipsec.spd import UDP, selector

KEY16, KEY32, SALT = bytes(range(1, 17)), bytes(range(0x41, 0x61)), b"\x0a\x0b\x0c\x0d"
AUTH = Algorithm(HMAC_SHA256, bytes(range(0x81, 0xA1)), 128)  # RFC 4868: a 256-bit key

# Each transform's own requirements (cited by the tests run per transform).
TRANSFORM_REQUIREMENTS: dict[str, tuple[str, ...]] = {
    "aes-gcm-16": ("RFC4106-4-MUST-nonce-salt-iv", "RFC4106-5-MUST-aad",
                   "RFC4106-6-MUST-icv-length", "RFC8221-5-MUST-aes-gcm-16"),
    "aes-gcm-8": ("RFC4106-6-MUST-icv-length",),
    "aes-256-gcm-12": ("RFC4106-6-MUST-icv-length",),
    "chacha20-poly1305": ("RFC7634-2-MUST-nonce-salt-iv", "RFC7634-2-MUST-icv-16",
                          "RFC7634-2.1-MUST-aad"),
    "aes-cbc-hmac-sha256": ("RFC3602-2.4-MUST-block-padding", "RFC4868-2.1.2-MUST-truncate-128",
                            "RFC4868-2.1.1-MUST-key-length", "RFC8221-6-MUST-hmac-sha2-256-128",
                            "RFC8221-5-MUST-aes-gcm-16"),
    "null-hmac-sha256": ("RFC2410-2-MUST-null-identity", "RFC8221-5-MUST-null-with-integrity",
                         "RFC4868-2.1.2-MUST-truncate-128"),
}
TRANSFORMS: dict[str, dict[str, Algorithm]] = {
    "aes-gcm-16": {"aead": Algorithm(AES_GCM, KEY16 + SALT, 128)},  # RFC 4106, RFC 8221 MUST
    "aes-gcm-8": {"aead": Algorithm(AES_GCM, KEY16 + SALT, 64)},
    "aes-256-gcm-12": {"aead": Algorithm(AES_GCM, KEY32 + SALT, 96)},
    "chacha20-poly1305": {"aead": Algorithm(CHACHA20_POLY1305, KEY32 + SALT, 128)},  # 7634
    "aes-cbc-hmac-sha256": {"enc": Algorithm(AES_CBC, KEY16), "auth": AUTH},  # RFC 3602
    "null-hmac-sha256": {"enc": Algorithm(NULL_ENC, b""), "auth": AUTH},  # RFC 2410
}
SPI_FROM_DUT, SPI_TO_DUT = 0x1000, 0x2000


def per_transform() -> list:
    """The transforms as pytest parameters, each citing its own requirements."""
    import pytest

    return [pytest.param(name, id=name, marks=pytest.mark.requirement(*reqs))
            for name, reqs in TRANSFORM_REQUIREMENTS.items()]


def esp_pair(bed: Any, ex: Any, family: Any, endpoints: Any, transform: str = "aes-gcm-16",
             mode: str = TRANSPORT, proto: int = UDP, to_dut: dict | None = None,
             from_dut: dict | None = None, extra: tuple[Policy, ...] = ()) -> EspTester:
    """Install the SAs and policies in the DUT (and the oracle); the tester's end of them.
    `to_dut`/`from_dut`: fields of either SA (replay_window, esn, lifetime, selector, ...)."""
    dut, tester = family.dut_ip(endpoints), family.tester_ip(endpoints)
    algo = TRANSFORMS[transform]
    sa_in = SecurityAssociation(SPI_TO_DUT, tester, dut, mode, **algo, **(to_dut or {}))
    sa_out = SecurityAssociation(SPI_FROM_DUT, dut, tester, mode, **algo, **(from_dut or {}))

    def template(src: str, dst: str) -> Template:
        return Template(mode=TUNNEL, src=src, dst=dst) if mode == TUNNEL else Template()

    policies = (*extra,
                Policy(OUT, selector(family, endpoints, OUT, proto), PROTECT, 0,
                       (template(dut, tester),)),
                Policy(IN, selector(family, endpoints, IN, proto), PROTECT, 0,
                       (template(tester, dut),)))
    set_ipsec(bed, IpsecConfig(policies, (sa_out, sa_in)))
    return EspTester(ex, family, endpoints, sa_in, sa_out)


__all__ = ["SPI_FROM_DUT", "SPI_TO_DUT", "TRANSFORMS", "esp_pair", "host_prefix",
           "per_transform"]

"""ESP (RFC 4303 2): the packet format and the transforms that protect it.

    SPI (4) | Sequence Number (4) | IV | ciphertext of (Payload | Padding | Pad Length | Next
    Header) | ICV

Transforms (RFC 8221 5, 6): AES-GCM (RFC 4106: 8, 12 or 16-octet ICV, a 4-octet salt after the
key, an 8-octet explicit IV), ChaCha20-Poly1305 (RFC 7634: the same layout, 16-octet ICV),
AES-CBC (RFC 3602: a 16-octet IV, 16-octet blocks) or NULL encryption (RFC 2410) each with
HMAC-SHA-256-128 (RFC 4868). The IV is the caller's (sans-IO: the oracle's seeded source, or
the tester's); the Extended Sequence Number's high half is authenticated but never sent
(RFC 4303 2.2.1, Appendix A)."""

from __future__ import annotations

import hmac
import struct
from abc import ABC, abstractmethod
from dataclasses import dataclass
from hashlib import sha256

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305

from reference_stack.ipsec.config import (
    AES_CBC,
    AES_GCM,
    CHACHA20_POLY1305,
    HMAC_SHA256,
    NULL_ENC,
    SecurityAssociation,
)
from reference_stack.wire.errors import WireError

HEADER = struct.Struct("!II")
NEXT_HEADER_DUMMY = 59  # RFC 4303 2.6: a dummy packet (IPv6 "No Next Header")
SALT_LEN = 4  # RFC 4106 8.1, RFC 7634 2
GCM_ICV_BITS = (64, 96, 128)  # RFC 4106 6: 8, 12 or 16 octets
RULE_GCM = "RFC4106-4-MUST-nonce-salt-iv"
RULE_CHACHA = "RFC7634-2-MUST-nonce-salt-iv"
RULE_CBC = "RFC3602-2.4-MUST-block-padding"
RULE_NULL = "RFC2410-2-MUST-null-identity"


@dataclass(frozen=True)
class EspRepr:
    """An ESP packet as on the wire (RFC 4303 2): the header and the protected rest."""

    spi: int
    seq: int
    body: bytes  # IV | ciphertext | ICV

    @classmethod
    def parse(cls, data: bytes) -> EspRepr:
        if len(data) < HEADER.size:
            raise WireError("ESP shorter than its header")
        spi, seq = HEADER.unpack_from(data)
        return cls(spi, seq, bytes(data[HEADER.size:]))

    def emit(self) -> bytes:
        return HEADER.pack(self.spi, self.seq) + self.body


def padding(length: int, align: int) -> bytes:
    """RFC 4303 2.4: the Padding that ends (payload | Padding | Pad Length | Next Header) on
    the cipher's block size (and at least 4-octet alignment), its octets 1, 2, 3, ..."""
    need = -(length + 2) % max(align, 4)
    return bytes(range(1, need + 1))


def padding_valid(pad: bytes) -> bool:
    """RFC 4303 2.4: the receiver SHOULD inspect the Padding field (1, 2, 3, ...)."""
    return pad == bytes(range(1, len(pad) + 1))


class Transform(ABC):
    """One SA's cryptography: seal and open the part after the ESP header."""

    iv_len = 0
    align = 4  # RFC 4303 2.4: 4-octet alignment of the ICV
    icv_len = 0
    name = ""
    rule = ""  # the transform's own requirement, recorded with each packet it seals or opens

    @abstractmethod
    def seal(self, header: bytes, seq_hi: bytes, iv: bytes, plaintext: bytes) -> bytes:
        """IV, ciphertext and ICV of `plaintext` for the ESP `header`."""

    @abstractmethod
    def open(self, header: bytes, seq_hi: bytes, body: bytes) -> bytes | None:
        """The plaintext, or None when the ICV does not verify (RFC 4303 3.4.4)."""


class AeadTransform(Transform):
    """RFC 4106 (AES-GCM) and RFC 7634 (ChaCha20-Poly1305): nonce = salt | IV (8 octets);
    the AAD is SPI | Sequence Number, with the ESN's high half between them (RFC 4106 5,
    RFC 7634 2.1)."""

    iv_len = 8

    def __init__(self, name: str, key: bytes, icv_bits: int) -> None:
        self.key, self.salt = key[:-SALT_LEN], key[-SALT_LEN:]
        self.icv_len = icv_bits // 8
        self.gcm = name == AES_GCM
        self.name = name
        self.rule = RULE_GCM if self.gcm else RULE_CHACHA
        if self.gcm and icv_bits not in GCM_ICV_BITS:
            raise ValueError(f"AES-GCM ICV of {icv_bits} bits (RFC 4106 6: 64, 96, 128)")
        if not self.gcm and icv_bits != 128:
            raise ValueError("ChaCha20-Poly1305's ICV is 128 bits (RFC 7634 2)")
        # One AEAD object per SA (its key schedule done once: ~2 us a packet against ~35 us
        # for a Cipher built per packet); GCM's shorter ICVs are opened through Cipher,
        # which checks a truncated tag (AESGCM takes 16 octets only).
        self.aead = AESGCM(self.key) if self.gcm else ChaCha20Poly1305(self.key)

    @staticmethod
    def aad(header: bytes, seq_hi: bytes) -> bytes:
        return header[:4] + seq_hi + header[4:] if seq_hi else header

    def seal(self, header: bytes, seq_hi: bytes, iv: bytes, plaintext: bytes) -> bytes:
        nonce, aad = self.salt + iv, self.aad(header, seq_hi)
        sealed = self.aead.encrypt(nonce, plaintext, aad)  # ciphertext | 16-octet tag
        # RFC 4106 6: a shorter ICV is the tag's leftmost octets
        return iv + sealed[:len(plaintext) + self.icv_len]

    def open(self, header: bytes, seq_hi: bytes, body: bytes) -> bytes | None:
        if len(body) < self.iv_len + self.icv_len:
            return None
        iv, rest = body[:self.iv_len], body[self.iv_len:]
        nonce, aad = self.salt + iv, self.aad(header, seq_hi)
        try:
            if not self.gcm or self.icv_len == 16:
                return self.aead.decrypt(nonce, rest, aad)
            ct, tag = rest[:-self.icv_len], rest[-self.icv_len:]
            dec = Cipher(algorithms.AES(self.key),
                         modes.GCM(nonce, tag, min_tag_length=self.icv_len)).decryptor()
            dec.authenticate_additional_data(aad)
            return dec.update(ct) + dec.finalize()
        except InvalidTag:
            return None


def hmac_sha256_128(key: bytes, data: bytes) -> bytes:
    """RFC 4868 2.1.2: HMAC-SHA-256 truncated to its leftmost 128 bits."""
    return hmac.new(key, data, sha256).digest()[:16]


class EncAuthTransform(Transform):
    """Encryption then a separate integrity algorithm (RFC 4303 3.3.2: the ICV covers the
    ESP header, the IV and the ciphertext, with the ESN's high half appended, Appendix A2.1):
    AES-CBC (RFC 3602: a random 16-octet IV, 16-octet blocks) or NULL (RFC 2410: no IV, no
    change), with HMAC-SHA-256-128 (RFC 4868)."""

    def __init__(self, enc_name: str, enc_key: bytes, auth_name: str, auth_key: bytes,
                 icv_bits: int) -> None:
        if auth_name != HMAC_SHA256 or icv_bits != 128:
            raise ValueError(f"integrity {auth_name}/{icv_bits} (have HMAC-SHA-256-128)")
        self.cbc = enc_name == AES_CBC
        if not self.cbc and enc_name != NULL_ENC:
            raise ValueError(f"encryption {enc_name!r}")
        self.enc_key, self.auth_key = enc_key, auth_key
        self.name = f"{enc_name} + {auth_name}"
        self.rule = RULE_CBC if self.cbc else RULE_NULL
        self.iv_len = 16 if self.cbc else 0
        self.align = 16 if self.cbc else 4
        self.icv_len = 16

    def seal(self, header: bytes, seq_hi: bytes, iv: bytes, plaintext: bytes) -> bytes:
        if self.cbc:
            enc = Cipher(algorithms.AES(self.enc_key), modes.CBC(iv)).encryptor()
            protected = iv + enc.update(plaintext) + enc.finalize()
        else:
            protected = plaintext
        return protected + hmac_sha256_128(self.auth_key, header + protected + seq_hi)

    def open(self, header: bytes, seq_hi: bytes, body: bytes) -> bytes | None:
        if len(body) < self.iv_len + self.icv_len:
            return None
        protected, icv = body[:-self.icv_len], body[-self.icv_len:]
        # RFC 4303 3.4.4.1: the ICV is checked first (in constant time), before decrypting.
        if not hmac.compare_digest(icv, hmac_sha256_128(self.auth_key,
                                                        header + protected + seq_hi)):
            return None
        if not self.cbc:
            return protected
        iv, ct = protected[:16], protected[16:]
        if len(ct) % 16:
            return b""  # authentic but not whole blocks: the trailer check refuses it
        dec = Cipher(algorithms.AES(self.enc_key), modes.CBC(iv)).decryptor()
        return dec.update(ct) + dec.finalize()


def transform_of(sa: SecurityAssociation) -> Transform:
    if sa.aead is not None:
        if sa.aead.name not in (AES_GCM, CHACHA20_POLY1305):
            raise ValueError(f"AEAD {sa.aead.name!r}")
        return AeadTransform(sa.aead.name, sa.aead.key, sa.aead.icv_bits)
    enc = sa.enc
    return EncAuthTransform(enc.name if enc else NULL_ENC, enc.key if enc else b"",
                            sa.auth.name, sa.auth.key, sa.auth.icv_bits)


def seq_high(seq: int, esn: bool) -> bytes:
    """The ESN's high-order 32 bits as authenticated (RFC 4303 2.2.1); nothing without ESN."""
    return (seq >> 32).to_bytes(4, "big") if esn else b""


def encapsulate(transform: Transform, spi: int, seq: int, esn: bool, iv: bytes,
                payload: bytes, next_header: int) -> bytes:
    """The ESP packet carrying `payload` (RFC 4303 3.3): trailer, encryption, ICV. Only the
    sequence number's low 32 bits are sent (2.2.1)."""
    pad = padding(len(payload), transform.align)
    plaintext = payload + pad + bytes((len(pad), next_header))
    header = HEADER.pack(spi, seq & 0xFFFFFFFF)
    return header + transform.seal(header, seq_high(seq, esn), iv, plaintext)


@dataclass(frozen=True)
class Opened:
    """A decrypted ESP packet's trailer, read (RFC 4303 2.4-2.6)."""

    payload: bytes
    padding: bytes
    next_header: int


def read_trailer(plaintext: bytes) -> Opened | None:
    """Pad Length and Next Header from the end; None when Pad Length runs past the data
    (RFC 4303 2.5: the Pad Length is within the encrypted data)."""
    if len(plaintext) < 2:
        return None
    pad_len, next_header = plaintext[-2], plaintext[-1]
    if pad_len + 2 > len(plaintext):
        return None
    end = len(plaintext) - 2 - pad_len
    return Opened(plaintext[:end], plaintext[end:-2], next_header)

"""ESP transforms against published vectors (RFC 4303 2, RFC 4106, RFC 7634, RFC 3602,
RFC 4868, RFC 2410) and the packet format's rules (padding, trailer, ESN in the ICV)."""

from __future__ import annotations

import pytest

from reference_stack.ipsec import esp
from reference_stack.ipsec.config import (
    AES_CBC,
    AES_GCM,
    CHACHA20_POLY1305,
    HMAC_SHA256,
    Algorithm,
    SecurityAssociation,
)
from reference_stack.ipsec.esp import (
    AeadTransform,
    EncAuthTransform,
    encapsulate,
    hmac_sha256_128,
    padding,
    read_trailer,
    transform_of,
)

H = bytes.fromhex

# The GCM specification (McGrew, Viega: "The Galois/Counter Mode of Operation", test case 4,
# AES-128 with 20 octets of AAD). RFC 4106 has no vectors of its own; its nonce is the
# 4-octet salt and the 8-octet explicit IV (RFC 4106 4), here the case's 12-octet IV split so.
GCM4_KEY = H("feffe9928665731c6d6a8f9467308308")
GCM4_IV = H("cafebabefacedbaddecaf888")
GCM4_PT = H("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
            "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39")
GCM4_AAD = H("feedfacedeadbeeffeedfacedeadbeefabaddad2")
GCM4_CT = H("42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
            "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091")
GCM4_TAG = H("5bc94fbc3221a5db94fae95ae7121a47")

# RFC 8439 2.8.2 (the AEAD RFC 7634 2 uses): key 80..9f, nonce 07000000 | 4041424344454647.
CC_KEY = bytes(range(0x80, 0xA0))
CC_NONCE = H("070000004041424344454647")
CC_AAD = H("50515253c0c1c2c3c4c5c6c7")
CC_PT = (b"Ladies and Gentlemen of the class of '99: If I could offer you only one tip for "
         b"the future, sunscreen would be it.")
CC_CT = H("d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
          "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
          "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
          "3ff4def08e4b7a9de576d26586cec64b6116")
CC_TAG = H("1ae10b594f09e26a7e902ecbd0600691")


class _Aad(AeadTransform):
    """The transform with the vectors' AAD in place of SPI | Sequence Number."""

    @staticmethod
    def aad(header: bytes, seq_hi: bytes) -> bytes:
        return header


@pytest.mark.parametrize("icv_bits", [64, 96, 128])
def test_aes_gcm_matches_the_gcm_spec_vector_and_truncates_its_icv(icv_bits):
    t = _Aad(AES_GCM, GCM4_KEY + GCM4_IV[:4], icv_bits)
    body = t.seal(GCM4_AAD, b"", GCM4_IV[4:], GCM4_PT)
    # RFC 4106 6: the ICV is the tag's leftmost 8, 12 or 16 octets.
    assert body == GCM4_IV[4:] + GCM4_CT + GCM4_TAG[:icv_bits // 8]
    assert t.open(GCM4_AAD, b"", body) == GCM4_PT
    assert t.open(GCM4_AAD, b"", body[:-1] + bytes([body[-1] ^ 1])) is None


def test_aes_gcm_icv_lengths_are_those_of_rfc4106():
    with pytest.raises(ValueError):
        AeadTransform(AES_GCM, bytes(20), 32)


def test_chacha20_poly1305_matches_rfc8439_vector():
    t = _Aad(CHACHA20_POLY1305, CC_KEY + CC_NONCE[:4], 128)
    body = t.seal(CC_AAD, b"", CC_NONCE[4:], CC_PT)
    assert body == CC_NONCE[4:] + CC_CT + CC_TAG
    assert t.open(CC_AAD, b"", body) == CC_PT


def test_aes_cbc_matches_rfc3602_cases_1_and_2():
    # RFC 3602 4, Case #1 and Case #2 (the ciphertext after the IV; the ICV is HMAC's)
    for key, iv, pt, ct in (
            (H("06a9214036b8a15b512e03d534120006"), H("3dafba429d9eb430b422da802c9fac41"),
             b"Single block msg", H("e353779c1079aeb82708942dbe77181a")),
            (H("c286696d887c9aa0611bbb3e2025a45a"), H("562e17996d093d28ddb3ba695a2e6f58"),
             bytes(range(32)),
             H("d296cd94c2cccf8a3a863028b5e1dc0a7586602d253cfff91b8266bea6d61ab1"))):
        t = EncAuthTransform(AES_CBC, key, HMAC_SHA256, bytes(32), 128)
        body = t.seal(b"\0" * 8, b"", iv, pt)
        assert body[:16 + len(ct)] == iv + ct
        assert t.open(b"\0" * 8, b"", body) == pt


def test_hmac_sha256_128_matches_rfc4868_auth256_1():
    # RFC 4868 2.7.2.1, Test Case AUTH256-1: the 128-bit truncation of HMAC-SHA-256.
    assert hmac_sha256_128(b"\x0b" * 32, b"Hi There") == H("198a607eb44bfbc69903a0f1cf2bbdc5")


def test_null_encryption_leaves_the_payload_as_it_is():
    # RFC 2410 2: NULL encryption is the identity; the integrity algorithm still applies.
    t = EncAuthTransform("ecb(cipher_null)", b"", HMAC_SHA256, bytes(32), 128)
    body = t.seal(bytes(8), b"", b"", b"clear as day\x01\x02\x02\x11")
    assert body.startswith(b"clear as day")
    assert t.iv_len == 0


@pytest.mark.parametrize("length,align,expect", [(0, 4, 2), (2, 4, 0), (3, 4, 3),
                                                 (14, 16, 0), (15, 16, 15), (1, 16, 13)])
def test_padding_aligns_the_trailer_with_monotonic_octets(length, align, expect):
    # RFC 4303 2.4: Padding 1, 2, 3, ... so that payload | Padding | Pad Length | Next
    # Header ends on the block size (at least 4).
    pad = padding(length, align)
    assert pad == bytes(range(1, expect + 1))
    assert (length + len(pad) + 2) % align == 0


def _sa(**kw) -> SecurityAssociation:
    base = dict(spi=0x1001, src="198.18.0.1", dst="198.18.0.2",
                aead=Algorithm(AES_GCM, bytes(range(20)), 128))
    base.update(kw)
    return SecurityAssociation(**base)


def test_encapsulate_sends_the_low_half_and_authenticates_the_esn_high_half():
    # RFC 4303 2.2.1: only the low 32 bits are sent; the high ones are in the ICV (AAD for an
    # AEAD, RFC 4106 5), so a receiver with the wrong high half fails the ICV.
    t = transform_of(_sa(esn=True))
    seq = (7 << 32) | 5
    packet = encapsulate(t, 0x1001, seq, True, bytes(8), b"data", 17)
    spi, low = esp.HEADER.unpack_from(packet)
    assert (spi, low) == (0x1001, 5)
    header, body = packet[:8], packet[8:]
    assert t.open(header, (7).to_bytes(4, "big"), body) is not None
    assert t.open(header, (6).to_bytes(4, "big"), body) is None


def test_esn_high_half_goes_after_the_payload_for_separate_integrity():
    # RFC 4303 Appendix A2.1 (3.3.2): the high half is appended to what HMAC covers.
    sa = _sa(aead=None, enc=Algorithm(AES_CBC, bytes(16)),
             auth=Algorithm(HMAC_SHA256, bytes(range(32))), esn=True)
    t = transform_of(sa)
    packet = encapsulate(t, 0x1001, (1 << 32) | 9, True, bytes(16), b"x" * 30, 6)
    body = packet[8:]
    assert body[-16:] == hmac_sha256_128(bytes(range(32)), packet[:-16] + (1).to_bytes(4, "big"))


def test_trailer_read_and_pad_length_past_the_data():
    opened = read_trailer(b"abc" + bytes((1, 2)) + bytes((2, 17)))
    assert (opened.payload, opened.padding, opened.next_header) == (b"abc", b"\x01\x02", 17)
    assert read_trailer(bytes((9, 17))) is None  # RFC 4303 2.5: Pad Length within the data


def test_an_sa_needs_one_kind_of_transform():
    with pytest.raises(ValueError):
        _sa(aead=None)

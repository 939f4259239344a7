"""A test's IpsecConfig as `ip xfrm` commands (conformance/dut/xfrm.py): what the DUT installs
is the configuration the oracle gets, word for word."""

from __future__ import annotations

from conformance.dut import xfrm
from reference_stack.ipsec.config import (
    AES_GCM,
    DISCARD,
    HMAC_SHA256,
    IN,
    NULL_ENC,
    OUT,
    PROTECT,
    USE,
    Algorithm,
    IpsecConfig,
    Lifetime,
    Policy,
    SecurityAssociation,
    Selector,
    Template,
)

SEL = Selector("198.18.0.1/32", "198.18.0.2/32", 17, 0, 9)


def test_policies_in_order_with_their_actions_and_templates():
    config = IpsecConfig((Policy(OUT, SEL, DISCARD, 7),
                          Policy(IN, SEL, PROTECT, 0, (Template(level=USE, reqid=3),))))
    lines = xfrm.batch(config).splitlines()
    assert lines[0] == ("xfrm policy add src 198.18.0.1/32 dst 198.18.0.2/32 proto udp dport 9 "
                        "dir out priority 7 action block")
    assert lines[1].endswith("action allow tmpl proto esp mode transport reqid 3 level use")


def test_states_with_aead_or_enc_and_auth_and_their_counters():
    gcm = SecurityAssociation(0x100, "198.18.0.1", "198.18.0.2",
                              aead=Algorithm(AES_GCM, bytes(20), 64), oseq=0xFFFFFFFE,
                              lifetime=Lifetime(hard_packets=2))
    null = SecurityAssociation(0x200, "2001:db8::2", "2001:db8::1", esn=True,
                               enc=Algorithm(NULL_ENC, b""),
                               auth=Algorithm(HMAC_SHA256, b"\x01" * 32), replay_seq=(1 << 32) + 5)
    first, second = xfrm.batch(IpsecConfig((), (gcm, null))).splitlines()
    assert 'spi 0x100 mode transport' in first
    assert f'aead "rfc4106(gcm(aes))" 0x{bytes(20).hex()} 64' in first
    assert "limit packet-hard 2" in first and "replay-oseq 4294967294" in first
    assert 'enc "ecb(cipher_null)" ""' in second and "flag esn" in second
    assert 'auth-trunc "hmac(sha256)" 0x' + "01" * 32 + " 128" in second
    assert "replay-seq 5 replay-seq-hi 1" in second


def test_description_leaves_keys_out():
    sa = SecurityAssociation(0x100, "198.18.0.1", "198.18.0.2",
                             aead=Algorithm(AES_GCM, b"secret-key-and-salt!", 128))
    described = str(xfrm.describe(IpsecConfig((), (sa,))))
    assert "rfc4106" in described and "secret" not in described

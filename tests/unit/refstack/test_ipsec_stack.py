"""IPsec in the reference stack (RFC 4301 5, RFC 4303 3): SPD decisions on output and input,
ESP between two stacks (transport and tunnel mode, IPv4 and IPv6), the inbound checks in their
order, sequence numbers, lifetimes; and Linux's choices against the rfc profile."""

from __future__ import annotations

import dataclasses
import errno

import pytest

from reference_stack.ipsec.config import (
    AES_CBC,
    AES_GCM,
    BYPASS,
    CHACHA20_POLY1305,
    DISCARD,
    HMAC_SHA256,
    IN,
    NULL_ENC,
    OUT,
    PROTECT,
    TUNNEL,
    USE,
    Algorithm,
    IpsecConfig,
    Lifetime,
    Policy,
    SecurityAssociation,
    Selector,
    Template,
)
from reference_stack.ipsec.peer import EspPeer
from reference_stack.profiles import LINUX, RFC
from reference_stack.wire.frame import dissect
from reference_stack.wire.ipv4 import IPPROTO_UDP
from reference_stack.wire.udp import UdpRepr
from tests.unit.refstack.harness import Link, RawPeer, make_stack, udp_socket

A, B = "198.18.0.10", "198.18.0.11"
UDP = IPPROTO_UDP
GCM = Algorithm(AES_GCM, bytes(range(16)) + b"salt", 128)


def sa(spi: int, src: str, dst: str, **kw) -> SecurityAssociation:
    return SecurityAssociation(spi=spi, src=src, dst=dst, **{"aead": GCM, **kw})


def udp_policy(direction: str, action: str, src: str, dst: str, dport: int = 0,
               sport: int = 0, priority: int = 0, template: Template | None = None,
               **tmpl) -> Policy:
    sel = Selector(f"{src}/32", f"{dst}/32", UDP, sport, dport)
    templates = (template or Template(**tmpl),) if action == PROTECT else ()
    return Policy(direction, sel, action, priority, templates)


def protected_pair(mode: str = "transport", **sa_kw) -> tuple[IpsecConfig, IpsecConfig]:
    """A's and B's configurations: UDP between them protected both ways (a tunnel between
    the two hosts themselves in tunnel mode)."""
    sas = (sa(0x100, A, B, mode=mode, **sa_kw), sa(0x200, B, A, mode=mode, **sa_kw))

    def policies(me: str, peer: str) -> tuple[Policy, ...]:
        def template(src: str, dst: str) -> Template:
            return Template(mode=mode, src=src, dst=dst) if mode == TUNNEL else Template()
        return (udp_policy(OUT, PROTECT, me, peer, template=template(me, peer)),
                udp_policy(IN, PROTECT, peer, me, template=template(peer, me)))
    return IpsecConfig(policies(A, B), sas), IpsecConfig(policies(B, A), sas)


def ipsec_rules(reaction) -> list[str]:
    return [d.rule for d in reaction.trace if d.layer == "ipsec"]


# -- SPD-O (RFC 4301 5.1) ----------------------------------------------------------------

def test_discard_policy_fails_the_send_on_linux_and_drops_on_rfc():
    for profile, err, rule in ((LINUX, errno.EPERM, "LINUX-xfrm_lookup_with_ifid-block-eperm"),
                               (RFC, 0, "RFC4301-5.1-MUST-discard-policy")):
        s = make_stack(profile)
        s.set_ipsec(IpsecConfig((udp_policy(OUT, DISCARD, A, B, 9),
                                 udp_policy(OUT, BYPASS, A, B))))
        fd = udp_socket(s, 4000)
        res = s.sendto(fd, b"x", (B, 9), 0.0)
        assert res.errno == err
        assert res.reaction.frames == ()
        assert rule in ipsec_rules(res.reaction)


def test_bypass_policy_sends_in_the_clear():
    s = make_stack(RFC)
    s.set_ipsec(IpsecConfig((udp_policy(OUT, BYPASS, A, B),)))
    res = s.sendto(udp_socket(s, 4000), b"x", (B, 9), 0.0)
    assert dissect(res.reaction.frames[0]).udp.dst_port == 9
    assert "RFC4301-5.1-MUST-bypass-policy" in ipsec_rules(res.reaction)


def test_no_policy_is_bypass_on_linux_and_discard_on_rfc():
    config = IpsecConfig((udp_policy(OUT, DISCARD, A, B, 9),))
    for profile, frames, rule in ((LINUX, 1, "LINUX-xfrm_lookup_with_ifid-no-policy-bypass"),
                                  (RFC, 0, "RFC4301-4.4.1-MUST-no-match-discard")):
        s = make_stack(profile)
        s.set_ipsec(config)
        res = s.sendto(udp_socket(s, 4000), b"x", (B, 10), 0.0)
        assert len(res.reaction.frames) == frames and rule in ipsec_rules(res.reaction)


def test_protect_without_sa_drops_and_the_send_succeeds():
    for profile, rule in ((LINUX, "LINUX-xfrm_lookup_with_ifid-larval-drop"),
                          (RFC, "RFC4301-5.1-MUST-protect-without-sa")):
        s = make_stack(profile)
        s.set_ipsec(IpsecConfig((udp_policy(OUT, PROTECT, A, B),)))
        res = s.sendto(udp_socket(s, 4000), b"x", (B, 9), 0.0)
        assert res.ok and res.reaction.frames == ()
        assert rule in ipsec_rules(res.reaction)


def test_policies_are_ordered_by_priority_on_linux_and_as_given_on_rfc():
    # RFC 4301 4.4.1: the first match decides; Linux orders by priority (lower first).
    config = IpsecConfig((udp_policy(OUT, BYPASS, A, B, priority=20),
                          udp_policy(OUT, DISCARD, A, B, priority=10)))
    for profile, sent in ((LINUX, 0), (RFC, 1)):
        s = make_stack(profile)
        s.set_ipsec(config)
        res = s.sendto(udp_socket(s, 4000), b"x", (B, 9), 0.0)
        assert len(res.reaction.frames) == sent


def test_equal_priorities_keep_insertion_order():
    config = IpsecConfig((udp_policy(OUT, DISCARD, A, B, priority=5),
                          udp_policy(OUT, BYPASS, A, B, priority=5)))
    s = make_stack(LINUX)
    s.set_ipsec(config)
    assert s.sendto(udp_socket(s, 4000), b"x", (B, 9), 0.0).errno == errno.EPERM


def test_selector_ports_and_protocol():
    s = make_stack(LINUX)
    s.set_ipsec(IpsecConfig((udp_policy(OUT, DISCARD, A, B, dport=9, sport=4000),)))
    fd, other = udp_socket(s, 4000), udp_socket(s, 4001)
    assert s.sendto(fd, b"x", (B, 9), 0.0).errno == errno.EPERM
    assert s.sendto(fd, b"x", (B, 10), 0.0).ok
    assert s.sendto(other, b"x", (B, 9), 0.0).ok


# -- SPD-I (RFC 4301 5.2) ----------------------------------------------------------------

def _inbound(profile, policy: Policy, dport: int = 5000):
    s = make_stack(profile)
    fd = udp_socket(s, 5000)
    s.set_ipsec(IpsecConfig((policy,)))
    r = s.receive(RawPeer(s).udp(40000, dport, b"hello"), 0.0)
    return s, fd, r


def test_cleartext_against_a_protect_policy_is_dropped():
    s, fd, r = _inbound(LINUX, udp_policy(IN, PROTECT, B, A))
    assert "RFC4301-5.2-MUST-cleartext-against-protect" in ipsec_rules(r)
    assert s.recvfrom(fd, 100).errno == errno.EAGAIN


def test_cleartext_against_level_use_is_accepted():
    s, fd, r = _inbound(LINUX, udp_policy(IN, PROTECT, B, A, level=USE))
    assert "LINUX-xfrm_policy_ok-level-use" in ipsec_rules(r)
    assert s.recvfrom(fd, 100).value[0] == b"hello"


def test_inbound_discard_policy_drops_even_where_a_port_unreachable_was_due():
    s, fd, r = _inbound(LINUX, udp_policy(IN, DISCARD, B, A), dport=9)
    assert "RFC4301-5.2-MUST-discard-policy" in ipsec_rules(r)
    assert r.frames == ()  # no ICMP Port Unreachable


# -- ESP between two stacks (RFC 4303) ---------------------------------------------------

@pytest.mark.parametrize("algo", [
    {"aead": Algorithm(AES_GCM, bytes(20), 64)},
    {"aead": Algorithm(AES_GCM, bytes(36), 128)},
    {"aead": Algorithm(CHACHA20_POLY1305, bytes(36), 128)},
    {"aead": None, "enc": Algorithm(AES_CBC, bytes(16)), "auth": Algorithm(HMAC_SHA256, bytes(32))},
    {"aead": None, "enc": Algorithm(NULL_ENC, b""), "auth": Algorithm(HMAC_SHA256, bytes(32))},
], ids=["gcm64", "gcm256", "chacha", "cbc-hmac", "null-hmac"])
@pytest.mark.parametrize("mode", ["transport", TUNNEL])
def test_udp_over_esp_both_ways(algo, mode):
    link = Link(LINUX)
    ca, cb = protected_pair(mode, **algo)
    link.a.set_ipsec(ca)
    link.b.set_ipsec(cb)
    fa, fb = udp_socket(link.a, 4000), udp_socket(link.b, 5000)
    link.call(link.a, "sendto", fa, b"over esp", (B, 5000))
    sent = link.log[-1][1]
    assert sent.ipv4.protocol == 50 and sent.udp is None
    link.deliver()
    data, peer = link.b.recvfrom(fb, 100).value
    assert (data, peer) == (b"over esp", (A, 4000))
    link.call(link.b, "sendto", fb, b"back", (A, 4000))
    link.deliver()
    assert link.a.recvfrom(fa, 100).value[0] == b"back"


def test_sequence_numbers_start_at_one_and_count_up():
    s = make_stack(LINUX)
    ca, _ = protected_pair()
    s.set_ipsec(ca)
    fd = udp_socket(s, 4000)
    seqs = []
    for _ in range(3):
        frame = s.sendto(fd, b"x", (B, 5000), 0.0).reaction.frames[0]
        seqs.append(int.from_bytes(dissect(frame).ipv4.payload[4:8], "big"))
    assert seqs == [1, 2, 3]  # RFC 4303 3.3.3


def test_sequence_counter_does_not_cycle_without_esn():
    # RFC 4303 3.3.3; Linux's send returns EOVERFLOW (xfrm_replay_overflow), the rfc profile's
    # drops silently.
    for profile, err, rule in ((LINUX, errno.EOVERFLOW, "LINUX-xfrm_replay_overflow-eoverflow"),
                               (RFC, 0, "RFC4303-3.3.3-MUST-no-sequence-cycle")):
        s = make_stack(profile)
        a_to_b = sa(0x100, A, B, oseq=0xFFFFFFFE)
        s.set_ipsec(IpsecConfig((udp_policy(OUT, PROTECT, A, B),), (a_to_b,)))
        fd = udp_socket(s, 4000)
        assert len(s.sendto(fd, b"x", (B, 5000), 0.0).reaction.frames) == 1  # 0xFFFFFFFF
        res = s.sendto(fd, b"x", (B, 5000), 0.0)
        assert res.reaction.frames == () and res.errno == err
        assert rule in ipsec_rules(res.reaction)


def test_hard_packet_lifetime_ends_the_sa():
    # RFC 4301 4.4.2.1; Linux's send returns EINVAL (xfrm_state_check_expire).
    for profile, err, rule in ((LINUX, errno.EINVAL, "LINUX-xfrm_state_check_expire-einval"),
                               (RFC, 0, "RFC4301-4.4.2.1-MUST-hard-lifetime")):
        s = make_stack(profile)
        a_to_b = sa(0x100, A, B, lifetime=Lifetime(soft_packets=1, hard_packets=2))
        s.set_ipsec(IpsecConfig((udp_policy(OUT, PROTECT, A, B),), (a_to_b,)))
        fd = udp_socket(s, 4000)
        first = s.sendto(fd, b"x", (B, 5000), 0.0).reaction
        assert "RFC4301-4.4.2.1-MUST-soft-lifetime" in ipsec_rules(first)
        assert len(s.sendto(fd, b"x", (B, 5000), 0.0).reaction.frames) == 1
        res = s.sendto(fd, b"x", (B, 5000), 0.0)
        assert res.reaction.frames == () and res.errno == err
        assert rule in ipsec_rules(res.reaction)


# -- inbound ESP, crafted by the peer -----------------------------------------------------

def _receiver(profile=LINUX, **sa_kw):
    s = make_stack(profile)
    inbound = sa(0x200, B, A, **sa_kw)
    s.set_ipsec(IpsecConfig((udp_policy(IN, PROTECT, B, A),), (inbound,)))
    return s, udp_socket(s, 5000), EspPeer(inbound), RawPeer(s)


def _udp(raw: RawPeer, data: bytes = b"secret") -> bytes:
    return UdpRepr(40000, 5000, data).emit(raw.src_ip, raw.stack.ip)


def test_esp_from_the_peer_is_delivered_once():
    s, fd, peer, raw = _receiver()
    packet = peer.seal(_udp(raw), UDP)
    r = s.receive(raw.ip_frame(50, packet), 0.0)
    assert "RFC4301-5.2-MUST-protected-as-policy" in ipsec_rules(r)
    assert s.recvfrom(fd, 100).value[0] == b"secret"
    r = s.receive(raw.ip_frame(50, packet), 0.0)  # the same again: replayed
    assert "RFC4303-3.4.3-MUST-replay-check" in ipsec_rules(r)
    assert s.recvfrom(fd, 100).errno == errno.EAGAIN


def test_unknown_spi_is_dropped_without_icmp():
    s, fd, peer, raw = _receiver()
    r = s.receive(raw.ip_frame(50, peer.seal(_udp(raw), UDP, spi=0x999)), 0.0)
    assert "RFC4303-3.4.2-MUST-discard-no-sa" in ipsec_rules(r) and r.frames == ()


def test_bad_icv_is_dropped_and_leaves_the_window_alone():
    s, fd, peer, raw = _receiver()
    r = s.receive(raw.ip_frame(50, peer.seal(_udp(raw), UDP, seq=5, corrupt_icv=True)), 0.0)
    assert "RFC4303-3.4.4.1-MUST-icv-check" in ipsec_rules(r)
    # RFC 4303 3.4.3: the window moves only after the ICV verified: 5 is still new.
    s.receive(raw.ip_frame(50, peer.seal(_udp(raw), UDP, seq=5)), 0.0)
    assert s.recvfrom(fd, 100).value[0] == b"secret"


def test_replay_window_edges():
    s, fd, peer, raw = _receiver(replay_window=32)
    for seq, delivered in ((100, True), (69, True), (68, False), (100, False), (99, True)):
        s.receive(raw.ip_frame(50, peer.seal(_udp(raw), UDP, seq=seq)), 0.0)
        got = s.recvfrom(fd, 100)
        assert got.ok == delivered, seq


def test_dummy_packet_is_dropped_after_decryption():
    s, fd, peer, raw = _receiver()
    r = s.receive(raw.ip_frame(50, peer.seal(b"chaff", 59)), 0.0)
    assert "RFC4303-2.6-MUST-discard-dummy" in ipsec_rules(r)


def test_bad_padding_is_checked_by_rfc_and_not_by_linux():
    for profile, delivered in ((RFC, False), (LINUX, True)):
        s, fd, peer, raw = _receiver(profile)
        s.set_ipsec(IpsecConfig((udp_policy(IN, PROTECT, B, A),
                                 udp_policy(OUT, BYPASS, A, B)), (peer.sa,)))
        data = _udp(raw, b"secret!")  # 15 octets: 3 of padding
        s.receive(raw.ip_frame(50, peer.seal(data, UDP, pad=b"\x07\x07\x07")), 0.0)
        assert s.recvfrom(fd, 100).ok == delivered, profile.name


def test_pad_length_past_the_data_is_dropped():
    s, fd, peer, raw = _receiver()
    r = s.receive(raw.ip_frame(50, peer.seal(b"ab", UDP, pad_length=200)), 0.0)
    assert ipsec_rules(r)[-1] == "RFC4303-2.5-MUST-pad-length"


def test_window_after_a_refused_trailer_on_linux_and_rfc():
    """RFC 4303 3.4.3 updates the window once the ICV verified; Linux only once esp_input
    succeeded (xfrm_input: xfrm_replay_advance after x->type->input), so after a Pad Length
    past the data or a dummy packet the same sequence number is new again on Linux, a
    replay on rfc."""
    for profile, delivered in ((RFC, False), (LINUX, True)):
        s, fd, peer, raw = _receiver(profile)
        refused = (peer.seal(b"ab", UDP, seq=7, pad_length=200),
                   peer.seal(_udp(raw), 59, seq=8))  # RFC 4303 2.6: a dummy packet
        for seq, packet in zip((7, 8), refused, strict=True):
            r = s.receive(raw.ip_frame(50, packet), 0.0)
            linux_note = "LINUX-xfrm_input-replay-advance-after-input" in ipsec_rules(r)
            assert linux_note == (profile is LINUX)
            s.receive(raw.ip_frame(50, peer.seal(_udp(raw), UDP, seq=seq)), 0.0)
            assert s.recvfrom(fd, 100).ok == delivered, (profile.name, seq)


def test_pad_length_leaving_no_payload_on_linux_and_rfc():
    """RFC 4303 2.5 bounds the Pad Length by the decrypted data: all of it but the trailer
    may be padding; Linux's esp_remove_trailer refuses that too (padlen + 2 + alen >= elen)
    and, as for any refused trailer, leaves the window (the same number is new again)."""
    for profile, refused in ((RFC, False), (LINUX, True)):
        s, fd, peer, raw = _receiver(profile)
        r = s.receive(raw.ip_frame(50, peer.seal(b"ab", UDP, seq=4, pad=b"", pad_length=2)),
                      0.0)
        rules = ipsec_rules(r)
        assert ("LINUX-esp_remove_trailer-empty-payload" in rules) is refused, profile.name
        s.receive(raw.ip_frame(50, peer.seal(_udp(raw), UDP, seq=4)), 0.0)
        assert s.recvfrom(fd, 100).ok == refused, profile.name


def test_esn_below_the_first_subspace_is_not_taken_for_it():
    """RFC 4303 Appendix A2.2 Case B with Th = 0: a low half at or above the window's bottom
    belongs to subspace Th - 1 (2^32 - 1 as the 32-bit high half): its ICV, sealed by a
    sender in subspace 0, fails (Linux xfrm_replay_seqhi decrements a u32 too)."""
    s, fd, peer, raw = _receiver(esn=True, replay_seq=10)
    r = s.receive(raw.ip_frame(50, peer.seal(_udp(raw), UDP, seq=(1 << 32) - 4)), 0.0)
    assert ipsec_rules(r)[-1] == "RFC4303-3.4.4.1-MUST-icv-check"
    assert s.recvfrom(fd, 100).errno == errno.EAGAIN


def test_esn_receiver_infers_the_high_half():
    s, fd, peer, raw = _receiver(esn=True, replay_seq=(1 << 32) - 2)
    # The peer is past the wrap: its low half 3 means 2**32 + 3 (RFC 4303 Appendix A2.2).
    s.receive(raw.ip_frame(50, peer.seal(_udp(raw), UDP, seq=(1 << 32) + 3)), 0.0)
    assert s.recvfrom(fd, 100).value[0] == b"secret"


def test_selector_of_the_sa_is_checked_after_decryption():
    s = make_stack(LINUX)
    inbound = sa(0x200, B, A, selector=Selector(f"{B}/32", f"{A}/32", UDP, 0, 6000))
    s.set_ipsec(IpsecConfig((udp_policy(IN, PROTECT, B, A),), (inbound,)))
    fd, raw = udp_socket(s, 5000), RawPeer(s)
    r = s.receive(raw.ip_frame(50, EspPeer(inbound).seal(_udp(raw), UDP)), 0.0)
    assert "RFC4301-5.2-MUST-sa-selector-check" in ipsec_rules(r)
    assert s.recvfrom(fd, 100).errno == errno.EAGAIN


def test_no_config_is_the_stack_as_before():
    s = make_stack(LINUX)
    s.set_ipsec(IpsecConfig((udp_policy(OUT, DISCARD, A, B),)))
    s.set_ipsec(None)
    assert s.sendto(udp_socket(s, 4000), b"x", (B, 9), 0.0).ok
    assert s.iface.tcp_fast_path


def _ipv6_esp_after_dstopts(profile, dport: int):
    """A UDP datagram in ESP after a Destination Options header (RFC 4303 3.1.1), to an SA
    whose selector names the UDP port 5000."""
    from reference_stack.wire.addr import ip6
    from tests.unit.refstack.test_ipv6_oracle import DUT, TESTER, frame, stack

    s = stack(profile)
    sel = Selector("2001:db8::2/128", "2001:db8::1/128", UDP, 0, 5000)
    inbound = sa(0x300, "2001:db8::2", "2001:db8::1", selector=sel)
    s.set_ipsec(IpsecConfig((), (inbound,)))
    assert (ip6("2001:db8::1"), ip6("2001:db8::2")) == (DUT, TESTER)
    udp = UdpRepr(40000, dport, b"hi").emit(TESTER, DUT)
    dstopts = bytes((50, 0, 1, 4, 0, 0, 0, 0))
    packet = dstopts + EspPeer(inbound).seal(udp, UDP)
    return s, s.receive(frame(nh=60, payload=packet), 0.0)


def test_ipv6_selector_ports_after_an_extension_header_on_linux_6_1_and_rfc():
    """RFC 4301 5.2: the SA's selector against the decrypted datagram's ports (a port
    unreachable for it, quoting the Destination Options header that stays before it);
    Linux 6.1's decode_session6 reads the ports after the fixed header, in the extension
    header: the selector misses and the datagram is dropped."""
    six_one = dataclasses.replace(LINUX, xfrm6_ports_after_fixed_header=True, ipv6_ipsec=True)
    for profile, delivered in ((dataclasses.replace(LINUX, ipv6_ipsec=True), True),
                               (six_one, False)):
        s, r = _ipv6_esp_after_dstopts(profile, 5000)
        assert ("RFC4301-5.2-MUST-sa-selector-check" in ipsec_rules(r)) is not delivered
        assert len(r.frames) == (1 if delivered else 0)
        if delivered:  # the quote holds the extension header, its Next Header now UDP's
            quote = dissect(r.frames[0]).icmpv6.payload
            assert quote[40:48] == bytes((UDP, 0, 1, 4, 0, 0, 0, 0))

"""The Linux profile's ICMP/IPv4 choices, found by fuzzing Linux: Timestamp replies
(icmp_timestamp, RFC 1122 3.2.2.8 MAY), IGMP handled rather than Protocol Unreachable
(igmp_rcv, RFC 1112), the datagram's options echoed into ICMP errors (ip_options_echo) and
option validation in octet order before the source-route drop (ip_options_compile). The RFC
profile keeps the RFC-minimal behaviour."""

from __future__ import annotations

from reference_stack.profiles import LINUX, RFC
from reference_stack.wire.checksum import internet_checksum
from reference_stack.wire.ethernet import ETH_P_IP, EthernetRepr
from reference_stack.wire.frame import dissect
from reference_stack.wire.icmpv4 import ICMP_TIMESTAMP, ICMP_TIMESTAMP_REPLY, Icmpv4Repr
from reference_stack.wire.ipv4 import IPPROTO_ICMP, IPPROTO_UDP, Ipv4OptUnknown, Ipv4Repr
from reference_stack.wire.udp import UdpRepr
from tests.unit.refstack.harness import IP_A, IP_B, MAC_A, MAC_B, make_stack

RR, TS, LSRR = 7, 68, 131


def ip_frame(protocol: int, payload: bytes, options: tuple = ()) -> bytes:
    ip = Ipv4Repr(src=IP_B, dst=IP_A, protocol=protocol, payload=payload, options=options)
    return EthernetRepr(MAC_A, MAC_B, ETH_P_IP, payload=ip.emit()).emit()


def raw_option(kind: int, body: bytes) -> Ipv4OptUnknown:
    return Ipv4OptUnknown(kind, body)


def timestamp_request(data: bytes) -> bytes:
    return ip_frame(IPPROTO_ICMP, Icmpv4Repr(ICMP_TIMESTAMP, 0, 0x00070009, data).emit())


def udp_to_closed_port(options: tuple = ()) -> bytes:
    return ip_frame(IPPROTO_UDP, UdpRepr(4000, 9, b"x").emit(IP_B, IP_A), options)


def test_linux_answers_a_timestamp_request_like_icmp_timestamp():
    r = make_stack(LINUX).receive(timestamp_request(bytes.fromhex("01020304") + bytes(8)), 5.0)
    (reply,) = r.frames
    icmp = dissect(reply).icmpv4
    assert icmp.type == ICMP_TIMESTAMP_REPLY and icmp.code == 0 and icmp.rest == 0x00070009
    assert icmp.payload[:4] == bytes.fromhex("01020304") and len(icmp.payload) == 12
    assert "RFC1122-3.2.2.8-MAY-timestamp-reply" in r.rules()


def test_a_too_short_timestamp_request_and_the_rfc_profile_get_no_reply():
    assert make_stack(LINUX).receive(timestamp_request(b"\x01\x02"), 1.0).frames == ()
    assert make_stack(RFC).receive(timestamp_request(bytes(12)), 1.0).frames == ()


def test_igmp_is_no_protocol_unreachable_for_linux():
    igmp_query = bytes.fromhex("11640000") + bytes(4)
    assert make_stack(LINUX).receive(ip_frame(2, igmp_query), 1.0).frames == ()
    (error,) = make_stack(RFC).receive(ip_frame(2, igmp_query), 1.0).frames
    assert dissect(error).icmpv4.type == 3 and dissect(error).icmpv4.code == 2


def test_record_route_is_echoed_into_a_port_unreachable():
    rr = raw_option(RR, bytes([4]) + bytes(8))  # pointer 4, room for two addresses
    (error,) = make_stack(LINUX).receive(udp_to_closed_port((rr,)), 1.0).frames
    ip = dissect(error).ipv4
    assert ip.ihl == 8 and dissect(error).icmpv4.type == 3
    (plain,) = make_stack(RFC).receive(udp_to_closed_port((rr,)), 1.0).frames
    assert dissect(plain).ipv4.ihl == 5


def test_timestamp_with_address_needs_eight_octets_of_room():
    # flag 1 (address and time) with room for 4 octets: Parameter Problem at the pointer
    # octet (20 + 2), as ip_options_compile; the old check let it through.
    ts = raw_option(TS, bytes([5, 0x01]) + bytes(4))
    (error,) = make_stack(LINUX).receive(udp_to_closed_port((ts,)), 1.0).frames
    icmp = dissect(error).icmpv4
    assert icmp.type == 12 and icmp.rest >> 24 == 22


def test_a_second_record_route_is_a_fault_at_the_option():
    rr = raw_option(RR, bytes([4]) + bytes(4))
    (error,) = make_stack(LINUX).receive(udp_to_closed_port((rr, rr)), 1.0).frames
    assert dissect(error).icmpv4.type == 12 and dissect(error).icmpv4.rest >> 24 == 27


def test_options_are_all_validated_before_a_source_route_is_dropped():
    lsrr = raw_option(LSRR, bytes([4]) + IP_B)
    bad_rr = raw_option(RR, bytes([3]) + bytes(4))  # pointer below 4
    r = make_stack(LINUX).receive(udp_to_closed_port((lsrr, bad_rr)), 1.0)
    (error,) = r.frames
    assert dissect(error).icmpv4.type == 12 and dissect(error).icmpv4.rest >> 24 == 29
    # A well-formed source route alone is dropped (accept_source_route = 0).
    assert make_stack(LINUX).receive(udp_to_closed_port((lsrr,)), 1.0).frames == ()


def echo_request(options: tuple) -> bytes:
    return ip_frame(IPPROTO_ICMP, Icmpv4Repr(8, 0, 0x00010001, b"abc").emit(), options)


def test_a_timestamp_option_with_a_partial_entry_left_gets_no_echo_reply():
    # Measured on Linux: lengths 9, 10, 11 (flag 0, pointer 5) get no reply, 8 and 12 do.
    for length, answered in ((8, True), (9, False), (10, False), (11, False), (12, True)):
        ts = raw_option(TS, bytes([5, 0]) + bytes(length - 4))
        frames = make_stack(LINUX).receive(echo_request((ts,)), 1.0).frames
        assert bool(frames) == answered, length


def test_a_port_unreachable_quotes_the_datagram_trimmed_to_the_udp_length():
    udp = bytearray(UdpRepr(4000, 9, b"x" * 10).emit(IP_B, IP_A))
    udp[4:6] = (8 + 2).to_bytes(2, "big")  # UDP length shorter than the IP payload
    udp[6:8] = b"\x00\x00"  # no checksum
    (error,) = make_stack(LINUX).receive(ip_frame(IPPROTO_UDP, bytes(udp)), 1.0).frames
    assert len(dissect(error).icmpv4.payload) == 20 + 10


def test_no_error_about_an_icmp_message_of_unknown_type():
    unknown = bytes([202, 0]) + bytes(6)
    frame = ip_frame(IPPROTO_ICMP, unknown, (raw_option(RR, bytes([3]) + bytes(4)),))
    assert make_stack(LINUX).receive(frame, 1.0).frames == ()
    (error,) = make_stack(RFC).receive(frame, 1.0).frames
    assert dissect(error).icmpv4.type == 12


def test_no_error_about_an_icmp_type_linux_marks_as_an_error():
    # Type 1 is unassigned; Linux's icmp_pointers[1].error = 1, so icmp_send stays silent.
    frame = ip_frame(IPPROTO_ICMP, bytes([1]), (raw_option(8, b""),))  # option length 2
    bad = bytearray(frame)
    bad[14 + 21] = 0  # the option's length octet: 0, a fault at offset 20
    bad[24:26] = b"\x00\x00"
    bad[24:26] = internet_checksum(bytes(bad[14:14 + (bad[14] & 15) * 4])).to_bytes(2, "big")
    assert make_stack(LINUX).receive(bytes(bad), 1.0).frames == ()
    (error,) = make_stack(RFC).receive(bytes(bad), 1.0).frames
    assert dissect(error).icmpv4.type == 12


def coded_echo_request(code: int, rest: int = 0x00070009, data: bytes = b"ping") -> bytes:
    return ip_frame(IPPROTO_ICMP, Icmpv4Repr(8, code, rest, data).emit())


def test_the_echo_code_is_copied_by_linux_and_zero_for_the_rfc():
    for profile, code in ((LINUX, 1), (RFC, 0)):
        r = make_stack(profile).receive(coded_echo_request(1), 1.0)
        (reply,) = r.frames
        assert dissect(reply).icmpv4.type == 0 and dissect(reply).icmpv4.code == code
        assert r.predictions[0].check(reply) == []
        assert ("LINUX-icmp_echo-code-copied" in r.rules()) is (profile is LINUX)
    # A request of code 0 is answered alike, with no Linux decision recorded.
    assert "LINUX-icmp_echo-code-copied" not in make_stack(LINUX).receive(
        coded_echo_request(0), 1.0).rules()


def udplite_frame(coverage: int, checksum: int | None = None) -> bytes:
    from reference_stack.wire.checksum import pseudo_header_sum

    dgram = bytes.fromhex("9c400009") + coverage.to_bytes(2, "big") + bytes(2) + b"lite data"
    if checksum is None:
        checksum = internet_checksum(dgram[:coverage or len(dgram)],
                                     pseudo_header_sum(IP_B, IP_A, 136, len(dgram)))
    return ip_frame(136, dgram[:6] + checksum.to_bytes(2, "big") + dgram[8:])


def test_udplite_to_a_closed_port_is_port_unreachable_for_linux():
    for coverage in (0, 8, 12, 17):
        r = make_stack(LINUX).receive(udplite_frame(coverage), 1.0)
        (error,) = r.frames
        assert (dissect(error).icmpv4.type, dissect(error).icmpv4.code) == (3, 3)
        assert "LINUX-udplite_rcv-port-unreachable" in r.rules()
        (rfc_error,) = make_stack(RFC).receive(udplite_frame(coverage), 1.0).frames
        assert (dissect(rfc_error).icmpv4.type, dissect(rfc_error).icmpv4.code) == (3, 2)


def test_invalid_udplite_is_discarded_by_linux():
    for frame, rule in ((udplite_frame(4), "RFC3828-3.1-MUST-discard-illegal-coverage"),
                        (udplite_frame(18), "RFC3828-3.1-MUST-discard-illegal-coverage"),
                        (udplite_frame(0, 0), "RFC3828-3.1-MUST-checksum-mandatory"),
                        (udplite_frame(0, 0x1234), "RFC3828-3.2-MUST-discard-bad-checksum")):
        r = make_stack(LINUX).receive(frame, 1.0)
        assert r.frames == () and rule in r.rules()

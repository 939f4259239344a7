"""The reference stack's wire layer: strict struct-based codecs, one module per protocol.

Modules: ``ethernet`` (Ethernet II, 802.1Q/802.1ad tags), ``arp``, ``ipv4`` (+ ``ipv4_options``),
``icmpv4``, ``udp``, ``tcp`` (+ ``tcp_options``, re-exported by ``tcp``), ``ipv6`` (the fixed
header), ``ipv6_ext`` (extension headers and ``parse_chain``), ``ipv6_options`` (Hop-by-Hop and
Destination options), ``icmpv6`` (checksum over the RFC 8200 8.1 pseudo-header), ``ndp``
(Neighbor Discovery messages and options), ``mld`` (MLDv1/v2), ``frame`` (``dissect``,
``build_frame``, ``build_frame_v6``), ``addr`` (text <-> raw address bytes), ``checksum``
(RFC 1071; the pseudo-header sum takes 4- or 16-octet addresses, so the UDP and TCP codecs
serve both families), ``errors`` (``WireError``). ``fields``, ``options_tlv`` and ``view`` are
shared internals.

Each protocol has a checked view (``EthernetFrame``, ``ArpPacket``, ``Ipv4Packet``,
``Icmpv4Packet``, ``UdpPacket``, ``TcpPacket``: accessors at fixed offsets, ``new_checked`` /
``check_len()`` strict about framing) and a frozen ``...Repr`` with ``parse(bytes)`` and
``emit(...)``.

How parse represents what it finds:

- Parse raises ``WireError`` only when the bytes cannot be represented (shorter than the fixed
  header, a truncated VLAN tag, ARP addresses past the end); never any other exception.
- Computed fields (IPv4 ``ihl``/``total_length``/``checksum``, ICMP ``checksum``, UDP
  ``length``/``checksum``, TCP ``data_offset``/``checksum``) are None = computed by emit, and
  parse fills in what was on the wire, bogus or not. ``parse(emit(r)) == r`` whenever the
  computed fields are explicit and describe the bytes (a length field the buffer satisfies,
  exceeds, or falls below the header); re-emitting a parse is byte-exact except for the
  trailing bytes an IPv4 total length, UDP length or ARP address size excludes (link padding).
- Options (IPv4 and TCP alike): EOL keeps the bytes after it as ``padding``; a known kind whose
  length does not fit its format becomes ``...OptUnknown(kind, data)`` and parsing continues (as
  Linux skips it); a length below 2 or past the option area ends the list with
  ``...OptMalformed(raw)`` holding the rest of the area.
- ``checksum_ok``-style helpers return True when the checksum is None (emit computes it), and
  UDP's also for 0 (RFC 768: no checksum sent).
"""

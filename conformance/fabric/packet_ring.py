"""The tester's AF_PACKET socket with a receive ring (PACKET_RX_RING, TPACKET_V2).

Why a ring: a frame queued on an ordinary packet socket is a clone of the skb the target sent
(packet_rcv: skb_clone), so the target's own copy stays referenced until the tester reads it.
Linux's retransmission decisions look at that: tcp_retransmit_skb -> tcp_retrans_try_collapse
-> tcp_can_collapse refuses a segment that skb_cloned() (its data still shared), so an RTO that
fires while the tester has not yet read the segments sent after the head retransmits the head
alone instead of merging them (the FIN among them) into it. What the target sends must not
depend on when the harness reads. tpacket_rcv instead copies each frame into the mapped ring
while the frame is delivered (in the softirq of the veth transmit) and drops its reference
there and then: the target's skb is free the moment its frame reaches the tester.

Frames come out in arrival order with the interface they came in on (sll_ifindex; ifindex_of
names an interface of the socket's namespace) and the kernel's receive time (tp_sec, tp_nsec:
CLOCK_REALTIME, as time.time()). A frame slot holds FRAME_SIZE octets: enough for the largest
link MTU the suites set (9000) with its headers; a frame cut short raises RingError, never
passes silently.
"""

from __future__ import annotations

import fcntl
import mmap
import socket
import struct
import threading

SOL_PACKET = 263
PACKET_RX_RING = 5
PACKET_VERSION = 10
TPACKET_V2 = 1
TP_STATUS_KERNEL = 0
TP_STATUS_USER = 1
SIOCGIFINDEX = 0x8933

FRAME_SIZE = 16384  # a power of two: the frames of a block lie back to back, blocks too
BLOCK_SIZE = 1 << 20  # one allocation of order 8 (tpacket_req tp_block_size)
BLOCKS = 32  # 2048 frames: more than a test leaves unread
FRAMES = BLOCK_SIZE // FRAME_SIZE * BLOCKS
# struct tpacket2_hdr: tp_status, tp_len, tp_snaplen, tp_mac, tp_net, tp_sec, tp_nsec; then
# struct sockaddr_ll at TPACKET_ALIGN(sizeof(tpacket2_hdr)) = 32: family, protocol, ifindex.
_HEADER = struct.Struct("=IIIHHII")
_IFINDEX = struct.Struct("=i")
_IFINDEX_AT = 32 + 4
_STATUS = struct.Struct("=I")
_KERNEL = _STATUS.pack(TP_STATUS_KERNEL)
_REQUEST = struct.Struct("=IIII")  # struct tpacket_req
_IFREQ = struct.Struct("=16si20x")


class RingError(OSError):
    """A frame did not fit its slot (tp_snaplen < tp_len)."""


class PacketRing:
    """One AF_PACKET socket with its receive ring; one reader at a time takes each frame (a
    lock orders threads that share the socket)."""

    def __init__(self, sock: socket.socket) -> None:
        sock.setsockopt(SOL_PACKET, PACKET_VERSION, TPACKET_V2)
        sock.setsockopt(SOL_PACKET, PACKET_RX_RING,
                        _REQUEST.pack(BLOCK_SIZE, BLOCKS, FRAME_SIZE, FRAMES))
        self.sock = sock
        self.ring = mmap.mmap(sock.fileno(), BLOCK_SIZE * BLOCKS, mmap.MAP_SHARED,
                              mmap.PROT_READ | mmap.PROT_WRITE)
        self._next = 0  # the slot the next frame lands in
        self._lock = threading.Lock()

    def fileno(self) -> int:
        return self.sock.fileno()

    def sendto(self, frame: bytes, address: tuple[str, int]) -> int:
        return self.sock.sendto(frame, address)

    def ifindex_of(self, ifname: str) -> int:
        """The index of interface ``ifname`` in the socket's namespace (SIOCGIFINDEX on the
        socket itself: dev_ioctl in sock_net)."""
        got = fcntl.ioctl(self.sock.fileno(), SIOCGIFINDEX, _IFREQ.pack(ifname.encode(), 0))
        return _IFREQ.unpack(got)[1]

    def recv(self) -> tuple[bytes, int, float] | None:
        """The next frame, without waiting: (octets, ifindex, kernel receive time), or None."""
        ring = self.ring
        with self._lock:
            at = self._next * FRAME_SIZE
            if not _STATUS.unpack_from(ring, at)[0] & TP_STATUS_USER:
                return None
            _, length, snaplen, mac, _, sec, nsec = _HEADER.unpack_from(ring, at)
            ifindex = _IFINDEX.unpack_from(ring, at + _IFINDEX_AT)[0]
            frame = ring[at + mac:at + mac + snaplen]
            ring[at:at + 4] = _KERNEL  # the slot back to the kernel
            self._next = (self._next + 1) % FRAMES
        if snaplen < length:
            raise RingError(f"a frame of {length} octets was cut to {snaplen} by the ring's "
                            f"{FRAME_SIZE}-octet slots")
        return frame, ifindex, sec + nsec / 1e9

    def close(self) -> None:
        self.ring.close()
        self.sock.close()

"""Inside the VM: the few rtnetlink requests a test's namespace needs, sent from Python.

Under TCG a process start costs the VM tens of milliseconds (an ``ip`` from the 9p root more),
so the per-test namespace set-up speaks rtnetlink itself (RFC 3549 framing; message layouts
from include/uapi/linux/rtnetlink.h, if_link.h, if_addr.h, neighbour.h): move a link to another
namespace, set its IPv6 address generation mode, bring it up, add an address, add a permanent
neighbour entry. Each request is acknowledged (NLM_F_ACK); a refusal raises OSError with the
kernel's errno. The socket is made in the namespace the request is about (setns per thread).
"""

from __future__ import annotations

import errno
import os
import socket
import struct

from conformance.fabric import netns

NETLINK_ROUTE = 0
NLM_F_REQUEST, NLM_F_ACK, NLM_F_EXCL, NLM_F_CREATE, NLM_F_REPLACE = 1, 4, 0x200, 0x400, 0x100
NLMSG_ERROR = 2
RTM_NEWLINK, RTM_NEWADDR, RTM_NEWNEIGH = 16, 20, 28
IFLA_NET_NS_PID, IFLA_AF_SPEC, IFLA_NET_NS_FD = 19, 26, 28
IFLA_INET6_ADDR_GEN_MODE, IN6_ADDR_GEN_MODE_NONE = 8, 1
IFA_ADDRESS, IFA_LOCAL, IFA_FLAGS, IFA_F_NODAD = 1, 2, 8, 0x02
NDA_DST, NDA_LLADDR, NUD_PERMANENT = 1, 2, 0x80
IFF_UP = 0x1


def attr(kind: int, payload: bytes) -> bytes:
    data = struct.pack("=HH", 4 + len(payload), kind) + payload
    return data + bytes(-len(data) % 4)


class Rtnl:
    """An rtnetlink socket in namespace ``name`` (None: where this thread is)."""

    def __init__(self, name: str | None = None) -> None:
        if name is None:
            self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_ROUTE)
        else:
            with netns.entered(name):
                self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_ROUTE)
        self.sock.bind((0, 0))
        self.seq = 0

    def __enter__(self) -> Rtnl:
        return self

    def __exit__(self, *exc: object) -> None:
        self.sock.close()

    def request(self, kind: int, flags: int, body: bytes, what: str) -> None:
        self.seq += 1
        header = struct.pack("=IHHII", 16 + len(body), kind, NLM_F_REQUEST | NLM_F_ACK | flags,
                             self.seq, 0)
        self.sock.send(header + body)
        while True:
            data = self.sock.recv(65536)
            offset = 0
            while offset + 16 <= len(data):
                length, mtype, _flags, seq, _pid = struct.unpack_from("=IHHII", data, offset)
                if mtype == NLMSG_ERROR and seq == self.seq:
                    code, = struct.unpack_from("=i", data, offset + 16)
                    if code:
                        raise OSError(-code, f"{what}: {os.strerror(-code)}")
                    return
                offset += max(16, (length + 3) // 4 * 4)

    # -- links ------------------------------------------------------------------------------
    @staticmethod
    def _ifinfo(index: int, flags: int = 0, change: int = 0) -> bytes:
        return struct.pack("=BxHiII", socket.AF_UNSPEC, 0, index, flags, change)

    def move_link(self, index: int, netns_fd: int | None = None, pid: int | None = None) -> None:
        """Link ``index`` into the namespace of ``netns_fd`` (or of process ``pid``)."""
        target = (attr(IFLA_NET_NS_FD, struct.pack("=I", netns_fd)) if netns_fd is not None
                  else attr(IFLA_NET_NS_PID, struct.pack("=I", pid or 1)))
        self.request(RTM_NEWLINK, 0, self._ifinfo(index) + target, f"move link {index}")

    def addrgenmode_none(self, index: int) -> None:
        """No IPv6 link-local address made for the link (``ip link set .. addrgenmode none``)."""
        mode = attr(IFLA_INET6_ADDR_GEN_MODE, bytes([IN6_ADDR_GEN_MODE_NONE]))
        spec = attr(IFLA_AF_SPEC, attr(socket.AF_INET6, mode))
        self.request(RTM_NEWLINK, 0, self._ifinfo(index) + spec, f"addrgenmode of {index}")

    def link_up(self, index: int) -> None:
        self.request(RTM_NEWLINK, 0, self._ifinfo(index, IFF_UP, IFF_UP), f"link {index} up")

    # -- addresses and neighbours ---------------------------------------------------------------
    def add_address(self, index: int, cidr: str) -> None:
        address, _, prefix = cidr.partition("/")
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        packed = socket.inet_pton(family, address)
        body = struct.pack("=BBBBI", family, int(prefix), 0, 0, index)
        body += attr(IFA_LOCAL, packed) + attr(IFA_ADDRESS, packed)
        if family == socket.AF_INET6:  # RFC 4862 5.4 skipped: the tester never duplicates it
            body += attr(IFA_FLAGS, struct.pack("=I", IFA_F_NODAD))
        self.request(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, body, f"address {cidr}")

    def add_permanent_neighbour(self, index: int, address: str, mac: str) -> None:
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        body = struct.pack("=BxxxiHBB", family, index, NUD_PERMANENT, 0, 0)
        body += attr(NDA_DST, socket.inet_pton(family, address))
        body += attr(NDA_LLADDR, bytes.fromhex(mac.replace(":", "")))
        self.request(RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_REPLACE, body, f"neighbour {address}")


def link_index(name: str, ifname: str) -> int:
    with netns.entered(name):
        try:
            return socket.if_nametoindex(ifname)
        except OSError:
            raise OSError(errno.ENODEV, f"no {ifname} in namespace {name}") from None

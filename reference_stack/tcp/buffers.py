"""Send and receive buffers of one connection, addressed by sequence number."""

from __future__ import annotations

from reference_stack.tcp.seq import HALF, MOD, seq_add, seq_diff


class SendBuffer:
    """Bytes written by the user and not yet acknowledged; `base` is the seq of the first byte."""

    __slots__ = ("data", "base", "capacity")

    def __init__(self, base: int, capacity: int) -> None:
        self.data = bytearray()
        self.base = base
        self.capacity = capacity

    def free(self) -> int:
        return max(0, self.capacity - len(self.data))

    def write(self, data: bytes) -> int:
        free = self.capacity - len(self.data)  # free(), inline
        n = len(data)
        if n > free:
            n = free if free > 0 else 0
            data = data[:n]
        self.data += data
        return n

    def end(self) -> int:
        """Sequence number just past the last byte written."""
        return (self.base + len(self.data)) & 0xFFFFFFFF  # seq_add inline (a hot call)

    def chunk(self, seq: int, n: int) -> bytes:
        off = (seq - self.base) & 0xFFFFFFFF  # (seq_diff, inline: every segment sent)
        if off > HALF:
            off -= MOD
        return bytes(self.data[off:off + n])

    def acknowledge(self, ack: int) -> int:
        """Drop bytes before `ack`; return how many were dropped."""
        # (seq_diff, min, max and seq_add inline: every ACK of new data)
        n = (ack - self.base) & 0xFFFFFFFF
        if n > HALF:
            return 0  # (ack before base)
        data = self.data
        if n > len(data):
            n = len(data)
        if n:
            del data[:n]
            self.base = (self.base + n) & 0xFFFFFFFF
        return n


class ReceiveBuffer:
    """In-order bytes for the user plus out-of-order segments (RFC 9293 3.10.7.4, RFC 2018)."""

    __slots__ = ("ready", "ooo", "capacity")

    def __init__(self, capacity: int) -> None:
        self.ready = bytearray()
        self.ooo: dict[int, bytes] = {}  # seq -> data, beyond RCV.NXT
        self.capacity = capacity

    def queued(self) -> int:
        return len(self.ready) + sum(len(d) for d in self.ooo.values())

    def window(self) -> int:
        """Free space: the receive window RCV.WND."""
        return max(0, self.capacity - len(self.ready))

    def insert(self, seq: int, data: bytes, rcv_nxt: int, merge: bool = True) -> int:
        """Queue `data` (already trimmed to the window, seq >= rcv_nxt); return the new RCV.NXT.
        ``merge=False``: in-order data only, what is held out of order stays held."""
        if seq != rcv_nxt:
            # (re-inserted: `ooo` keeps the order of arrival, which sack_blocks reports)
            old = self.ooo.pop(seq, None)
            self.ooo[seq] = data if old is None or len(old) < len(data) else old
            return rcv_nxt
        self.ready += data
        rcv_nxt = (rcv_nxt + len(data)) & 0xFFFFFFFF  # (seq_add, inline: in-order data)
        if not merge:
            return rcv_nxt
        # Pull any out-of-order data that is now contiguous.
        while self.ooo:
            progressed = False
            for s in list(self.ooo):
                d = self.ooo[s]
                off = seq_diff(rcv_nxt, s)
                if off < 0:
                    continue
                del self.ooo[s]
                if off < len(d):
                    self.ready += d[off:]
                    rcv_nxt = seq_add(rcv_nxt, len(d) - off)
                progressed = True
            if not progressed:
                break
        return rcv_nxt

    def read(self, n: int) -> bytes:
        ready = self.ready
        if n >= len(ready):  # (all of it, one copy: the common read)
            out = bytes(ready)
            ready.clear()
            return out
        out = bytes(ready[:n])
        del ready[:n]
        return out

    def sack_blocks(self, rcv_nxt: int, limit: int) -> tuple[tuple[int, int], ...]:
        """SACK blocks (left, right) for queued out-of-order data (RFC 2018 3, 4). An empty
        queued segment is a FIN held out of order (only a profile with sack_edge_counts_fin
        queues one, tcp/segment_arrival.py) and counts one octet, each FIN at its own
        sequence number, as Linux's tcp_data_queue_ofo queues every such segment with its
        end_seq.

        RFC 2018 4: the first block MUST specify the block holding the most recently received
        segment; the others SHOULD repeat the most recently reported ones: here each block
        ranks by the latest arrival among its segments (as Linux's tcp_sack_new_ofo_skb
        rotates the block a segment extends to the front).
        """
        spans = sorted((seq_diff(s, rcv_nxt), len(d) or 1, i) for i, (s, d) in
                       enumerate(self.ooo.items()))
        merged: list[list[int]] = []  # [left offset, right offset, latest arrival]
        for off, n, arrival in spans:
            if merged and off <= merged[-1][1]:
                last = merged[-1]
                last[1] = max(last[1], off + n)
                last[2] = max(last[2], arrival)
            else:
                merged.append([off, off + n, arrival])
        merged.sort(key=lambda block: -block[2])
        return tuple((seq_add(rcv_nxt, a), seq_add(rcv_nxt, b)) for a, b, _ in merged[:limit])

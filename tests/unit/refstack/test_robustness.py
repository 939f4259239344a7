"""Whatever bytes arrive, the oracle answers with a Reaction and never raises (a fuzz oracle must
reason about anything on the wire)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reference_stack.profiles import LINUX, RFC
from reference_stack.tcp.state import State
from reference_stack.wire.tcp import ACK, SYN
from tests.unit.refstack.conn import bring_to
from tests.unit.refstack.harness import syn_options


def seeds() -> list[bytes]:
    c = bring_to(State.ESTABLISHED, LINUX)
    frames = [
        c.tester.tcp(c.sport, c.dport, ACK, c.snd_nxt, c.rcv_nxt, b"data"),
        c.tester.tcp(c.sport, 80, SYN, 1, 0, options=syn_options()),
        c.tester.udp(4000, 9, b"x" * 30),
        c.tester.ip_frame(1, bytes.fromhex("0800f7ff00000000")),
    ]
    return frames


SEEDS = seeds()


def mutate(frame: bytes, edits: list[tuple[int, int]], cut: int) -> bytes:
    b = bytearray(frame)
    for pos, val in edits:
        b[pos % len(b)] = val
    return bytes(b[: max(1, len(b) - cut)])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(range(len(SEEDS))),
       st.lists(st.tuples(st.integers(14, 200), st.integers(0, 255)), max_size=6),
       st.integers(0, 30), st.sampled_from([LINUX, RFC]))
def test_mutated_frames_never_raise(seed, edits, cut, profile) -> None:
    for state in (State.LISTEN, State.ESTABLISHED, State.TIME_WAIT):
        c = bring_to(state, profile)
        frame = mutate(SEEDS[seed], edits, cut)
        r = c.stack.receive(frame, 1.0)
        assert len(r.frames) == len(r.predictions)
        for f, p in zip(r.frames, r.predictions, strict=True):
            assert p.check(f) == []  # each prediction allows the oracle's own frame
        c.stack.poll(500.0)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=120))
def test_random_bytes_never_raise(data) -> None:
    c = bring_to(State.ESTABLISHED, LINUX)
    r = c.stack.receive(data, 0.0)
    assert r.trace  # every frame leaves at least one decision


def near(base_attr: str):
    return st.one_of(st.integers(0, 0xFFFFFFFF),
                     st.integers(-70000, 70000).map(lambda d: (base_attr, d)))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(list(State)), st.integers(0, 255), near("snd"), near("rcv"),
       st.integers(0, 0xFFFF), st.binary(max_size=40), st.sampled_from([LINUX, RFC]),
       st.booleans())
def test_any_tcp_segment_in_any_state(state, flags, seq, ack, window, payload, profile,
                                      with_opts) -> None:
    c = bring_to(state, profile)

    def resolve(v):
        if isinstance(v, tuple):
            base = c.snd_nxt if v[0] == "snd" else c.rcv_nxt
            return (base + v[1]) & 0xFFFFFFFF
        return v

    opts = syn_options() if with_opts else ()
    r = c.seg(flags, seq=resolve(seq), ack=resolve(ack), payload=payload, window=window,
              options=opts)
    assert len(r.frames) == len(r.predictions)
    assert any(d.layer == "tcp" for d in r.trace)
    for f, p in zip(r.frames, r.predictions, strict=True):
        assert p.check(f) == []
    # Timers keep running whatever happened.
    t = c.stack.poll_at()
    if t is not None:
        c.stack.poll(t)

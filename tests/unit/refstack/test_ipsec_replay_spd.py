"""The anti-replay window (RFC 4303 3.4.3, Appendix A2) and the SPD's order and selectors
(RFC 4301 4.4.1, 4.4.1.1), pure."""

from __future__ import annotations

from reference_stack.ipsec.config import BYPASS, DISCARD, OUT, Policy, Selector
from reference_stack.ipsec.replay import OK, REPLAYED, TOO_OLD, ZERO, ReplayWindow
from reference_stack.ipsec.spd import RULE_ORDERED, RULE_PRIORITY, Flow, Spd
from reference_stack.wire.addr import ip4, ip6


def test_window_accepts_new_and_unseen_and_refuses_the_rest():
    w = ReplayWindow(4, esn=False)
    assert w.check(0) == ZERO  # RFC 4303 3.3.3: 0 is never sent
    for seq in (1, 2, 5):
        assert w.check(seq) == OK
        w.update(seq)
    assert w.check(5) == REPLAYED
    assert w.check(4) == OK and w.check(3) == OK  # in the window, not seen
    assert w.check(1) == TOO_OLD  # 5 - 1 >= 4
    w.update(3)
    assert w.check(3) == REPLAYED


def test_window_checks_do_not_update():
    w = ReplayWindow(32, esn=False)
    w.update(10)
    assert w.check(11) == OK
    assert w.check(11) == OK  # (check only: RFC 4303 3.4.3 updates after the ICV)
    assert w.top == 10


def test_esn_high_half_inferred_in_both_cases():
    # RFC 4303 Appendix A2.2, Case A: window within one subspace.
    w = ReplayWindow(32, esn=True)
    w.top = (5 << 32) | 1000
    assert w.infer(990) == (5 << 32) | 990
    assert w.infer(5) == (6 << 32) | 5  # below the window: the next subspace
    # Case B: the window spans two subspaces.
    w.top = (5 << 32) | 10
    assert w.infer(0xFFFFFFF0) == (4 << 32) | 0xFFFFFFF0
    assert w.infer(20) == (5 << 32) | 20


def _policy(action: str, priority: int, dport: int = 0) -> Policy:
    return Policy(OUT, Selector("198.18.0.1/32", "198.18.0.2/32", 17, 0, dport), action,
                  priority)


FLOW = Flow(ip4("198.18.0.1"), ip4("198.18.0.2"), 17, 4000, 9)


def test_spd_first_match_in_the_order_given_or_by_priority():
    policies = (_policy(BYPASS, 9), _policy(DISCARD, 1))
    ordered, by_priority = Spd(policies, OUT, False), Spd(policies, OUT, True)
    assert ordered.lookup(FLOW).action == BYPASS and ordered.rule == RULE_ORDERED
    assert by_priority.lookup(FLOW).action == DISCARD and by_priority.rule == RULE_PRIORITY


def test_selectors_by_port_protocol_family_and_prefix():
    spd = Spd((_policy(DISCARD, 0, dport=10),), OUT, True)
    assert spd.lookup(FLOW) is None
    assert spd.lookup(Flow(FLOW.src, FLOW.dst, 17, 4000, 10)) is not None
    assert spd.lookup(Flow(FLOW.src, FLOW.dst, 6, 4000, 10)) is None
    wide = Spd((Policy(OUT, Selector("198.18.0.0/15", "0.0.0.0/0"), DISCARD),), OUT, True)
    assert wide.lookup(Flow(ip4("198.19.1.1"), ip4("10.0.0.1"), 1)) is not None
    assert wide.lookup(Flow(ip6("2001:db8::1"), ip6("2001:db8::2"), 17)) is None


def test_flow_reads_ports_only_of_protocols_with_ports():
    assert Flow.of(b"a" * 4, b"b" * 4, 17, b"\x0f\xa0\x00\x09").dport == 9
    assert Flow.of(b"a" * 4, b"b" * 4, 1, b"\x08\x00\x00\x09").dport == 0

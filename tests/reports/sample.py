"""Builders of synthetic results.json documents (schema netconform-results/1) for the tests."""

from __future__ import annotations

import copy

SCRIPT_PAYLOAD = "<script>alert(1)</script>"
ATTR_PAYLOAD = '"><img src=x onerror=alert(1)>'
# The same two shapes, setting a flag instead of opening a dialog.
FLAG_PAYLOADS = ("<script>window.__pwned=1</script>", '"><img src=x onerror="window.__pwned=1">')

CATALOGUE = {
    "RFC9293-3.10.7.1-MUST-rst-closed": {
        "rfc": "RFC 9293", "section": "3.10.7.1", "level": "MUST",
        "text": "A segment to a CLOSED port elicits a RST."},
    "RFC9293-3.10.7.4-MUST-first-check": {
        "rfc": "RFC 9293", "section": "3.10.7.4", "level": "MUST",
        "text": "Check the sequence number first.",
        "rules": [
            {"id": "RFC9293-3.10.7.4-MUST-first-check", "kind": "requirement",
             "sites": [{"module": "reference_stack.tcp.segment_arrival",
                        "function": "synchronized"}]},
            {"id": "LINUX-tcp_data_queue-duplicate", "kind": "refinement", "profile": "linux",
             "function": "tcp_data_queue", "text": "Old sequence space: a D-SACK.",
             "sites": [{"module": "reference_stack.tcp.segment_arrival",
                        "function": "_duplicate"}]},
        ]},
    "RFC9293-3.8.1-SHOULD-rto-init": {
        "rfc": "RFC 9293", "section": "3.8.1", "level": "SHOULD",
        "text": "The initial RTO should be one second."},
    "RFC791-3.2-MUST-csum-drop": {
        "rfc": "RFC 791", "section": "3.2", "level": "MUST",
        "text": "A datagram with a bad header checksum is discarded."},
    "RFC1122-3.2.2-MAY-icmp-echo-len": {
        "rfc": "RFC 1122", "section": "3.2.2", "level": "MAY",
        "text": "Echo data may be truncated."},
}
RST_CLOSED = "RFC9293-3.10.7.1-MUST-rst-closed"
FIRST_CHECK = "RFC9293-3.10.7.4-MUST-first-check"
RTO_INIT = "RFC9293-3.8.1-SHOULD-rto-init"
CSUM_DROP = "RFC791-3.2-MUST-csum-drop"
ECHO_LEN = "RFC1122-3.2.2-MAY-icmp-echo-len"


def frames() -> list[dict]:
    return [
        {"t": 0.000123, "dir": "out", "summary": "TCP 40000 > 80 [S] seq=1 ack=0 len=0",
         "proto": "TCP", "flags": "S", "seq": 1, "ack": 0, "len": 0, "hex": "0200"},
        {"t": 0.000456, "dir": "in", "summary": "TCP 80 > 40000 [R] seq=0 ack=0 len=0",
         "proto": "TCP", "flags": "R", "seq": 0, "ack": 0, "len": 0, "hex": "0201"},
    ]


def make_test(test_id: str, outcome: str = "passed", requirements=(RST_CLOSED,), **fields) -> dict:
    """One test entry with full evidence; a failed/error test gets a divergence and a diff."""
    failing = outcome in ("failed", "error")
    test = {
        "id": test_id,
        "requirements": list(requirements),
        "outcome": outcome,
        "duration_s": 0.012,
        "message": "expected RST|ACK, got RST" if failing else None,
        "xfail_reason": "kernel sends RST without ACK" if outcome == "xfailed" else None,
        "xfail_link": "https://bugs.example.org/1" if outcome == "xfailed" else None,
        "divergences": [{"field": "tcp.flags", "expected": "R.", "actual": "R",
                         "rule": RST_CLOSED, "explained": False}] if failing else [],
        "frames": frames(),
        "diff": [{"frame": "near-miss 1", "field": "tcp.flags", "expected": "R.",
                  "actual": "R"}] if failing else [],
        "oracle": [{"layer": "tcp", "decision": "reply", "rule": RST_CLOSED,
                    "detail": "no socket: RST|ACK seq=0 ack=SEG.SEQ+SEG.LEN"}],
        "mib_deltas": {"Tcp": {"InSegs": 1, "OutRsts": 1}},
        "drop_reasons": [{"reason": "NO_SOCKET", "location": "tcp_v4_rcv", "count": 1}],
        "pcap": "pcaps/" + test_id.replace("/", "_").replace("::", "__") + ".pcap",
        "rerun": f"netconform run --target linux -k '{test_id.split('::')[-1]}'",
    }
    test.update(fields)
    return test


COMMIT = "1977481c0ffee" + "0" * 27  # the sample runs' checkout (results.json "checkout")


def make_results(tests: list[dict], target: str = "linux", **fields) -> dict:
    """A whole document; the catalogue holds the entries its tests reference."""
    referenced = {req for test in tests for req in test.get("requirements") or []}
    results = {
        "schema": "netconform-results/1",
        "target": target,
        "started": "2026-11-24T18:50:00+00:00",
        "finished": "2026-11-24T18:50:12+00:00",
        "duration_s": 12.3,
        "harness_version": "0.1.0",
        "checkout": {"commit": COMMIT, "dirty": False},
        "command": f"netconform run --target {target} --out out",
        "environment": {
            "kernel": "6.18.44", "python": "3.11.7", "hostname": "ci-1", "workers": 2,
            "sysctls": {"net.ipv4.icmp_ratelimit": "0", "net.ipv4.icmp_ratemask": "0"},
            "setup_commands": ["nft add table inet t"],
        },
        "requirements": {req: CATALOGUE[req] for req in sorted(referenced) if req in CATALOGUE},
        "tests": copy.deepcopy(tests),
        "summary": {},
        "findings": [],
    }
    results.update(fields)
    return results


def standard_tests() -> list[dict]:
    """Five tests over four requirements: one passes, fails, xfails, skips and errors each."""
    return [
        make_test("suites/tcp/test_closed_port.py::test_syn_to_closed_port[case1]"),
        make_test("suites/tcp/test_first_check.py::test_old_seq", "failed", [FIRST_CHECK]),
        make_test("suites/tcp/test_rto.py::test_initial_rto", "xfailed", [RTO_INIT]),
        make_test("suites/ip/test_csum.py::test_bad_csum_dropped", "skipped", [CSUM_DROP],
                  message="needs tracefs"),
        make_test("suites/ip/test_csum.py::test_bad_csum_counted", "error", [CSUM_DROP],
                  message="fixture netns failed"),
    ]


def standard_results(target: str = "linux") -> dict:
    return make_results(standard_tests(), target=target)


def big_results(count: int, target: str = "linux", fail_every: int = 50) -> dict:
    """``count`` tests over ``count // 10`` requirements in 20 RFCs; one in ``fail_every`` fails."""
    catalogue = {}
    tests = []
    for index in range(count):
        number = index % max(count // 10, 1)
        rfc = 9000 + number % 20
        section = f"{number % 7 + 1}.{number % 9 + 1}"
        req = f"RFC{rfc}-{section}-MUST-behaviour-{number}"
        catalogue[req] = {"rfc": f"RFC {rfc}", "section": section, "level": "MUST",
                          "text": f"behaviour {number} of the protocol"}
        outcome = "failed" if index % fail_every == 0 else "passed"
        tests.append(make_test(f"suites/gen/test_{index // 100}.py::test_case[{index}]",
                               outcome, [req]))
    results = make_results(tests, target=target)
    results["requirements"] = catalogue
    return results


def hostile_results() -> dict:
    """Markup and script in every place a network or a user can put text."""
    script, attr = SCRIPT_PAYLOAD, ATTR_PAYLOAD
    flag_script, flag_attr = FLAG_PAYLOADS
    test = make_test(f"suites/x/test_{script}.py::test_{attr}", "failed",
                     message=f"{script}\n{attr}\n{flag_script}\n{flag_attr}",
                     xfail_link="javascript:alert(1)", pcap="javascript:alert(1)")
    test["frames"][0]["summary"] = script
    test["frames"][0]["flags"] = attr
    test["diff"][0]["actual"] = flag_attr
    test["oracle"][0]["detail"] = flag_script
    passing = make_test(f"suites/x/test_ok.py::test_{script}", message=flag_attr)
    passing["frames"][1]["proto"] = flag_attr
    passing["mib_deltas"] = {script: {attr: 1}}
    results = make_results([test, passing], target=f"eth0{attr}")
    results["environment"]["sysctls"][script] = attr
    results["environment"]["setup_commands"].append(flag_script)
    results["requirements"][RST_CLOSED] = dict(results["requirements"][RST_CLOSED], text=script)
    results["findings"] = [{"title": flag_attr, "payload": flag_script}]
    return results


def wire_failure_results() -> dict:
    """A failed test as a real run records it: frames with their bytes (IPv4 TCP with options,
    IPv6 NDP), a missing reply with a near miss in pytest's layout, and a passing neighbour."""
    from scapy.layers.inet import IP, TCP
    from scapy.layers.inet6 import ICMPv6ND_NA, ICMPv6ND_NS, IPv6
    from scapy.layers.l2 import Ether

    mac = {"src": "02:00:00:00:00:01", "dst": "02:00:00:00:00:02"}
    a, b = "198.18.0.1", "198.18.0.2"
    packets = [
        ("out", Ether(**mac) / IPv6(src="2001:db8::1", dst="ff02::1:ff00:2")
         / ICMPv6ND_NS(tgt="2001:db8::2"), ""),
        ("in", Ether(**mac) / IPv6(src="2001:db8::2", dst="2001:db8::1")
         / ICMPv6ND_NA(tgt="2001:db8::2", R=0, S=1, O=1), ""),
        ("out", Ether(**mac) / IP(src=a, dst=b) / TCP(sport=40000, dport=80, flags="S",
                                                      seq=1000, options=[("MSS", 1460)]), ""),
        ("in", Ether(**mac) / IP(src=b, dst=a) / TCP(sport=80, dport=40000, flags="SA",
                                                     seq=5000, ack=1001,
                                                     options=[("MSS", 1460), ("WScale", 7)]),
         ""),
        ("out", Ether(**mac) / IP(src=a, dst=b) / TCP(sport=40000, dport=80, flags="A",
                                                      seq=1001, ack=5001), ""),
        ("in", Ether(**mac) / IP(src=b, dst=a) / TCP(sport=80, dport=40000, flags="A",
                                                     seq=5001, ack=1001),
         "TCP 80 > 40000 [.] seq=5001 ack=1001"),
    ]
    frames = [{"t": i / 1000, "dir": direction, "summary": summary or f"frame {i}",
               "proto": "", "flags": "", "seq": None, "ack": None, "len": 0,
               "hex": bytes(packet).hex()} for i, (direction, packet, summary)
              in enumerate(packets)]
    message = ("suites/tcp/test_old_ack.py:30: in test_old_seq_is_challenged\n"
               "    ex.expect(TCP(flags='A', ack=1005))\n"
               "E   conformance.author.exchange.ExpectationFailed: expected TCP(flags='A', "
               "ack=1005) within 1 s;\nE   near miss 1: TCP 80 > 40000 [.] seq=5001 ack=1001\n"
               "E       tcp.ack: expected 1005, got 1001")
    failing = make_test("suites/tcp/test_old_ack.py::test_old_seq_is_challenged", "failed",
                        [FIRST_CHECK], message=message, frames=frames, divergences=[],
                        diff=[{"frame": "near miss 1", "field": "tcp.ack", "expected": "1005",
                               "actual": "1001"}])
    return make_results([make_test("suites/tcp/test_ok.py::test_fine"), failing])

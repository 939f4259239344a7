"""MIB counter and drop-reason parsing (pure text in, counters out)."""

from conformance.evidence.drops import merge_drop_counts, summarize
from conformance.evidence.mib import delta, parse, parse_paired, parse_snmp6, text_delta

SNMP = """Ip: Forwarding DefaultTTL InReceives
Ip: 1 64 10
Tcp: RtoAlgorithm InSegs
Tcp: 1 5
"""


def test_paired_groups_and_deltas():
    before: dict = {}
    parse_paired(SNMP, before)
    assert before["Ip"]["InReceives"] == 10 and before["Tcp"]["InSegs"] == 5
    after = {"Ip": {**before["Ip"], "InReceives": 12}, "Tcp": dict(before["Tcp"])}
    assert delta(before, after) == {"Ip": {"InReceives": 2}}


def test_snmp6_groups():
    counters: dict = {}
    parse_snmp6("Ip6InReceives 3\nIcmp6InMsgs 1\nUdp6InDatagrams 0\n", counters)
    assert counters["Ip6"]["InReceives"] == 3 and counters["Icmp6"]["InMsgs"] == 1


def test_text_delta_is_the_delta_of_the_parsed_files():
    before = {"snmp": SNMP + "Udp: InDatagrams NoPorts\nUdp: 4 0\n",
              "snmp6": "Ip6InReceives 3\nIcmp6InMsgs 1\nUdp6InDatagrams 0\n",
              "xfrm_stat": "XfrmInError 0\nXfrmInNoStates 2\n"}
    after = {"snmp": SNMP.replace("1 64 10", "1 64 13") + "Udp: InDatagrams NoPorts\nUdp: 4 1\n",
             "snmp6": "Ip6InReceives 5\nIcmp6InMsgs 1\nUdp6InDatagrams 0\nIcmp6OutMsgs 2\n",
             "xfrm_stat": "XfrmInError 0\nXfrmInNoStates 2\n",
             "netstat": "TcpExt: SyncookiesSent\nTcpExt: 1\n"}
    expected = {"Ip": {"InReceives": 3}, "Udp": {"NoPorts": 1}, "Ip6": {"InReceives": 2},
                "Icmp6": {"OutMsgs": 2}, "TcpExt": {"SyncookiesSent": 1}}
    assert delta(parse(before), parse(after)) == expected
    assert text_delta(before, after) == expected
    assert text_delta(after, after) == {}


def test_drop_summary_counts_reasons_and_ignores_the_tester_sink():
    trace = (
        "# tracer: nop\n"
        " python-1 [000] ..s1. 1.0: kfree_skb: skbaddr=0x1 rx_sk=0x0 protocol=2048 "
        "location=ip_rcv_core+0x1a/0x30 reason: IP_CSUM\n"
        " python-1 [000] ..s1. 1.1: kfree_skb: skbaddr=0x2 rx_sk=0x0 protocol=2048 "
        "location=ip_rcv_core+0x1a/0x30 reason: IP_CSUM\n"
        " python-1 [000] ..s1. 1.2: kfree_skb: skbaddr=0x3 rx_sk=0x0 protocol=2048 "
        "location=br_handle_frame+0x1/0x2 reason: BRIDGE_INGRESS_STP_STATE\n"
    )
    rows = summarize(trace)
    assert rows == [{"reason": "IP_CSUM", "location": "ip_rcv_core", "count": 2}]
    assert merge_drop_counts(rows + rows)[0]["count"] == 4

"""The foundation's first suite (issue 2): one file per behaviour it named. Used by the
integration test that runs it end to end and by the benchmark that times it."""

FIRST_SUITE = [f"suites/{name}" for name in (
    "arp/test_request_for_own_address.py", "arp/test_request_for_other_address.py",
    "icmp/test_echo.py", "ipv4/test_bad_header_checksum.py", "ipv4/test_bad_version.py",
    "udp/test_closed_port.py", "udp/test_delivery.py", "tcp/test_closed_port.py",
    "tcp/test_listen_syn.py", "tcp/test_handshake_accept.py", "tcp/test_data_both_ways.py",
    "tcp/test_orderly_close.py", "tcp/test_listen_rst.py", "tcp/test_bad_checksum.py",
)]

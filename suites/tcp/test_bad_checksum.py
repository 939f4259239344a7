"""RFC 9293 3.1 (MUST-3): a segment with a bad TCP checksum is discarded."""

import pytest

from conformance.author.templates import TCP

from .conftest import LISTEN_PORT

pytestmark = pytest.mark.families("ipv4", "ipv6")


@pytest.mark.requirement("RFC9293-3.1-MUST-checksum")
def test_syn_with_bad_checksum_is_dropped(ex, bed, listener):
    conn = ex.tcp(dut_port=LISTEN_PORT)
    layers = conn.segment(flags="S")
    good = ex.build(*layers)
    bad_checksum = int.from_bytes(good[14 + 20 + 16 : 14 + 20 + 18], "big") ^ 0xFFFF
    ex.send(*layers[:-1], TCP(**{**layers[-1].fields, "checksum": bad_checksum}))
    conn.expect_nothing()
    if bed.drop_reasons is not None:
        assert "TCP_CSUM" in {d["reason"] for d in bed.drop_reasons()}

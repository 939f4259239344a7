"""RFC 4862 5.1: with DupAddrDetectTransmits 0 no Duplicate Address Detection runs: an added
address is assigned at once, with no solicitation. RFC 4862 5.4.2: the first solicitation
may wait a random delay (up to MAX_RTR_SOLICITATION_DELAY, 1 s), which Linux takes below
router_solicitation_delay for every added address (LINUX-addrconf_dad_kick-random-delay)."""

import time

import pytest

from . import dad
from .dad import (
    add_tentative,
    dad_done_s,
    dad_solicitation,
    expect_answer,
    expect_dad_solicitation,
    send_probe,
)

pytestmark = dad.TURNS_ON_DAD  # (each test starts by turning DAD on: dad.add_tentative)

MAX_DELAY_S = 1  # RFC 4861 10 MAX_RTR_SOLICITATION_DELAY; Linux router_solicitation_delay


@pytest.mark.requirement("RFC4862-5.1-MUST-no-dad-when-zero")
def test_zero_transmits_assigns_at_once(ex, bed, endpoints):
    address = add_tentative(bed, endpoints, 0x5B, 0)
    # Linux ends even a zero-probe DAD in addrconf_dad_work, on a workqueue: the address is
    # tentative until it runs (late by over 250 ms on a loaded machine; an echo sent at once
    # went unanswered in a CI run). What RFC 4862 5.1 asks is checked by the solicitation
    # that never comes (below) and the address answering.
    time.sleep(dad_done_s(0))
    probe = send_probe(ex, bed, address, 5)
    expect_answer(ex, endpoints, address, probe)
    ex.expect_nothing(*dad_solicitation(address))


@pytest.mark.requirement("RFC4862-5.4.2-SHOULD-random-delay")
def test_first_solicitation_within_the_random_delay(ex, bed, endpoints):
    """(Whether the address answers RetransTimer after this solicitation is not asked here:
    on 6.18 an echo 460 ms after it went unanswered in 1 run of 6, the address assigned
    later; measured, not explained.)"""
    t0 = time.monotonic()
    address = add_tentative(bed, endpoints, 0x5C, 1, delay_s=MAX_DELAY_S)
    expect_dad_solicitation(ex, address, timeout=MAX_DELAY_S + 1.0)
    assert time.monotonic() - t0 < MAX_DELAY_S + 0.5

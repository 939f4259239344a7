"""Shared set-up for the TCP suite: a listening DUT socket, an established connection.

The state-reaching logic lives in ``states.py``; these fixtures only wrap it.
"""

import pytest

from .states import LISTEN_PORT, listen, passive_open

__all__ = ["LISTEN_PORT"]


@pytest.fixture
def listener(ex, dut, endpoints):
    """A DUT socket of the test's family listening on LISTEN_PORT; returns its descriptor."""
    return listen(dut, endpoints, family=ex.family)


@pytest.fixture
def established(ex, dut, listener, endpoints):
    """A connection the tester opened to the DUT listener and the DUT accepted: (conn, fd)."""
    return passive_open(ex, dut, endpoints, listener)

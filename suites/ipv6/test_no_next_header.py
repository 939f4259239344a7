"""RFC 8200 4.7: Next Header 59 means nothing follows: octets after the header are ignored,
no error is sent (directly after the IPv6 header or after an extension header)."""

import pytest

from conformance.author.templates import IPv6, IPv6Ext, Payload
from reference_stack.wire.ipv6 import IPPROTO_DSTOPTS, IPPROTO_NONE
from reference_stack.wire.ipv6_ext import Ipv6OptionsHeader


@pytest.mark.requirement("RFC8200-4.7-MUST-no-next-header")
@pytest.mark.parametrize("trailing", [b"", b"ignored octets"], ids=["empty", "trailing"])
def test_no_next_header_gets_nothing(ex, trailing):
    ex.send(IPv6(next_header=IPPROTO_NONE), Payload(trailing))
    ex.expect_nothing()


@pytest.mark.requirement("RFC8200-4.7-MUST-no-next-header")
def test_no_next_header_after_destination_options_gets_nothing(ex):
    ex.send(IPv6(), IPv6Ext(Ipv6OptionsHeader(IPPROTO_DSTOPTS, IPPROTO_NONE)),
            Payload(b"ignored octets"))
    ex.expect_nothing()

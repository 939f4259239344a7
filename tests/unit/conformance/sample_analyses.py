"""An analyses table for the store's own tests (a target's table lives beside the target, in
conformance/targets/<target>_analyses.py, with the ``ANALYSES`` name the store looks up)."""

from conformance.judge.store import Context


def answered_with_ece(ctx: Context) -> bool:
    """The target answered with ECE set (a frame-level fact a data entry could state too; here
    as code, to test the mechanism)."""
    return any(a[47] & 0x40 for a in ctx.answers if len(a) > 47)


ANALYSES = {"answered-with-ece": answered_with_ece}

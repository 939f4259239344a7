"""conformance.cli.ordering: neighbouring tests spread over the run, deterministically."""

from __future__ import annotations

from conformance.cli.ordering import spread


def test_every_test_runs_once_in_the_same_order_every_time():
    items = [f"t{i}" for i in range(1720)]
    first = spread(items)
    assert sorted(first) == sorted(items)
    assert first == spread(list(items))


def test_a_file_of_neighbouring_tests_is_spread_over_the_run():
    # 12 neighbouring tests (one file) among 1,720: no two of them run within 90 of another,
    # so two workers taking neighbouring tests of the new order are not both in this file.
    items = list(range(1720))
    block = set(range(800, 812))
    positions = sorted(i for i, item in enumerate(spread(items)) if item in block)
    assert min(b - a for a, b in zip(positions, positions[1:], strict=False)) > 90
    assert positions[0] < 400 and positions[-1] > 1300


def test_small_collections_keep_every_item():
    assert spread([]) == []
    assert spread(["a"]) == ["a"]
    assert sorted(spread(["a", "b", "c"])) == ["a", "b", "c"]

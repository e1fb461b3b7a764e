"""The lineage graph's server-side layout: layers by longest path, cycles broken,
barycentre order within a layer."""

from __future__ import annotations

from lakeworks.ui.layout import X_GAP, Y_GAP, place


def test_layers_follow_the_longest_path() -> None:
    at = place(["a", "b", "c", "d"], [("a", "b"), ("b", "c"), ("a", "c"), ("c", "d")])
    assert [at[n][0] for n in "abcd"] == [0, X_GAP, 2 * X_GAP, 3 * X_GAP]


def test_a_layer_is_centred_and_spaced() -> None:
    at = place(["r", "x", "y", "z"], [("r", "x"), ("r", "y"), ("r", "z")])
    assert [at[n][1] for n in "xyz"] == [-Y_GAP, 0.0, Y_GAP]
    assert at["r"] == (0, 0.0)


def test_cycles_and_self_loops_still_place_every_node_once() -> None:
    nodes = ["a", "b", "c", "lone"]
    at = place(nodes, [("a", "a"), ("a", "b"), ("b", "c"), ("c", "a")])
    assert sorted(at) == sorted(nodes)
    assert len({at[n] for n in nodes}) == 4  # no two nodes on one spot
    assert at["lone"][0] == 0  # no inputs: the first layer


def test_barycentre_keeps_children_beside_their_parents() -> None:
    # parents p0 (top) and p1; their children named so that name order would cross them
    nodes = ["p0", "p1", "a1", "z0"]
    at = place(nodes, [("p0", "z0"), ("p1", "a1")])
    assert at["p0"][1] < at["p1"][1]
    assert at["z0"][1] < at["a1"][1]  # z0 beside p0 above a1 beside p1: no crossing


def test_a_thousand_node_tree_is_placed_quickly() -> None:
    import time

    edges = [("hub", f"hub_{i}") for i in range(10)]
    edges += [(f"hub_{i}", f"hub_{i}_{j}") for i in range(10) for j in range(100)]
    nodes = ["hub", *dict.fromkeys(t for _, t in edges)]
    started = time.perf_counter()
    at = place(nodes, edges)
    assert len(at) == 1011 and time.perf_counter() - started < 0.5

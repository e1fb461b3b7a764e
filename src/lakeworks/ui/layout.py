"""Positions for the lineage graph, computed here so the browser draws them at once.

A layered (Sugiyama-style) layout, small enough to read: each node's layer is its longest
path from a source (edges point the way data flows, so sources sit left and what they
feed sits right), cycles (a table appended to from itself, A -> B -> A) broken by
ignoring the edges that close them; within a layer, nodes are ordered by a few sweeps of
the barycentre heuristic (the mean position of their neighbours in the layer before), which
keeps edges short and mostly uncrossed. Cytoscape then takes these as ``preset``
positions: no layout runs in the browser, which was most of a big graph's first render.

Example:
    >>> place(["a", "b", "c"], [("a", "b"), ("a", "c")])
    {'a': (0, 0.0), 'b': (320, -28.0), 'c': (320, 28.0)}
"""

from __future__ import annotations

from collections import defaultdict

X_GAP = 320  # between layers: a node is 170 px wide, the rest is room for edges
Y_GAP = 56  # between nodes of a layer: a node is 30 px tall
SWEEPS = 4  # barycentre passes (down, up, down, up); more rarely changes the order


def place(nodes: list[str], edges: list[tuple[str, str]]) -> dict[str, tuple[int, float]]:
    """``{node: (x, y)}`` for every node; ``edges`` are (source, target) pairs of nodes."""
    ahead, behind = defaultdict(list), defaultdict(list)
    for source, target in dict.fromkeys(edges):
        if source != target:
            ahead[source].append(target)
            behind[target].append(source)
    layer = layers(nodes, ahead, behind)
    rows = order(nodes, layer, ahead, behind)
    at: dict[str, tuple[int, float]] = {}
    for depth, row in rows.items():
        middle = (len(row) - 1) / 2
        for i, node in enumerate(row):
            at[node] = (depth * X_GAP, (i - middle) * Y_GAP)
    return at


def layers(
    nodes: list[str], ahead: dict[str, list[str]], behind: dict[str, list[str]]
) -> dict[str, int]:
    """Longest-path layering in a topological order (Kahn's); when only cycles are left,
    the waiting node with the fewest unplaced inputs goes next and its unplaced inputs
    are ignored (the cycle's closing edge)."""
    waiting = {n: len(behind[n]) for n in nodes}
    ready = [n for n in nodes if waiting[n] == 0]
    layer: dict[str, int] = {}
    while len(layer) < len(nodes):
        if not ready:  # a cycle: break it at its most placed node
            ready = [min((n for n in nodes if n not in layer), key=lambda n: waiting[n])]
        node = ready.pop()
        if node in layer:
            continue
        layer[node] = max((layer[p] + 1 for p in behind[node] if p in layer), default=0)
        for following in ahead[node]:
            waiting[following] -= 1
            if waiting[following] == 0 and following not in layer:
                ready.append(following)
    return layer


def order(
    nodes: list[str],
    layer: dict[str, int],
    ahead: dict[str, list[str]],
    behind: dict[str, list[str]],
) -> dict[int, list[str]]:
    """The nodes of each layer, top to bottom: by name, then barycentre sweeps."""
    rows: dict[int, list[str]] = defaultdict(list)
    for node in sorted(nodes):
        rows[layer[node]].append(node)
    depths = sorted(rows)
    for sweep in range(SWEEPS):
        down = sweep % 2 == 0
        near = behind if down else ahead
        for depth in depths[1:] if down else depths[-2::-1]:
            index = {n: i for row in rows.values() for i, n in enumerate(row)}
            rows[depth] = _by_barycentre(rows[depth], near, index)
    return dict(sorted(rows.items()))


def _by_barycentre(row: list[str], near: dict[str, list[str]], index: dict[str, int]) -> list[str]:
    """``row`` sorted by the mean index of each node's neighbours; a node with none keeps
    its place (its current index), so unconnected nodes do not all sink to one end."""

    def centre(item: tuple[int, str]) -> float:
        at, node = item
        found = [index[n] for n in near[node]]
        return sum(found) / len(found) if found else float(at)

    return [node for _, node in sorted(enumerate(row), key=centre)]

"""A small layered ("Sugiyama") layout for the explorer's graph, in pure Python.

Why not Graphviz: the page must look the same wherever it is made (``dot`` is optional here,
and its versions place nodes differently), the layout must be known to Python (the tests read
it) and a backward graph is nearly a tree -- a chain of ops with parameters and data hanging
off it -- which the classic four steps lay out well:

1. **ranks**: each node one row above the earliest op that reads it (the longest path to
   the loss, counted from the bottom): a parameter, a data input, or an op on a parameter
   alone (a weight's transpose) sits just above its consumer, the loss at the bottom;
2. **dummies**: an edge that skips rows gets a waypoint on each row it crosses;
3. **order** within rows: barycenter sweeps, keeping the order with the fewest crossings;
4. **x**: each node pulled toward its neighbours, rows kept in order with a minimum gap (a
   least-squares fit under ordering constraints, solved by pool-adjacent-violators).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

RANK_GAP = 50  # vertical space between rows
NODE_GAP = 26  # horizontal space between neighbours in a row
DUMMY_WIDTH = 14
MARGIN = 30


@dataclass
class Layout:
    x: dict[int, float]  # node id -> centre
    y: dict[int, float]
    rank: dict[int, int]
    routes: list[list[tuple[float, float]]]  # per edge (input order): points, source first
    width: float
    height: float


def _ranks(ids: Sequence[int], succs: dict[int, list[int]], order: list[int]) -> dict[int, int]:
    """Rows as late as possible: a node's row is one above its earliest consumer's, i.e. the
    longest path to the loss counted from the bottom. A parameter or an op on one (the
    transpose of a weight) then sits just above the op that uses it, not at the top."""
    to_sink: dict[int, int] = {}
    for v in reversed(order):  # consumers first
        to_sink[v] = 1 + max((to_sink[w] for w in succs[v]), default=-1)
    deepest = max(to_sink.values(), default=0)
    return {v: deepest - to_sink[v] for v in ids}


def _topological(ids: Sequence[int], preds: dict[int, list[int]],
                 succs: dict[int, list[int]]) -> list[int]:
    waiting = {v: len(set(preds[v])) for v in ids}
    ready = [v for v in ids if waiting[v] == 0]
    out: list[int] = []
    while ready:
        v = ready.pop()
        out.append(v)
        for w in dict.fromkeys(succs[v]):
            waiting[w] -= 1
            if waiting[w] == 0:
                ready.append(w)
    if len(out) != len(ids):
        raise ValueError("the graph has a cycle")  # never for a recorded graph
    return out


def _crossings(rows: list[list[int]], down: dict[int, list[int]], pos: dict[int, int]) -> int:
    total = 0
    for row in rows[:-1]:
        pairs = sorted((pos[u], pos[w]) for u in row for w in down[u])
        for i in range(len(pairs)):  # rows are short: the quadratic count is fine
            for j in range(i + 1, len(pairs)):
                if pairs[i][0] < pairs[j][0] and pairs[i][1] > pairs[j][1]:
                    total += 1
    return total


def _isotonic(desired: list[float], widths: list[float]) -> list[float]:
    """Centres as close as possible (least squares) to ``desired`` with each node at least
    NODE_GAP right of its left neighbour: shift by the cumulative minimum offsets, then a
    non-decreasing fit (pool adjacent violators), then shift back."""
    offsets = [0.0]
    for a, b in pairwise(widths):
        offsets.append(offsets[-1] + (a + b) / 2 + NODE_GAP)
    blocks: list[list[float]] = []  # [mean, count]
    for d, o in zip(desired, offsets, strict=True):
        blocks.append([d - o, 1.0])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            m2, n2 = blocks.pop()
            m1, n1 = blocks.pop()
            blocks.append([(m1 * n1 + m2 * n2) / (n1 + n2), n1 + n2])
    fitted: list[float] = []
    for mean, count in blocks:
        fitted.extend([mean] * int(count))
    return [f + o for f, o in zip(fitted, offsets, strict=True)]


def layout(sizes: dict[int, tuple[float, float]], edges: Sequence[tuple[int, int, int]],
           root: int) -> Layout:
    """Place the nodes (``sizes``: id -> (width, height)) of a DAG whose ``edges`` are
    (source, target, input index) in forward direction; ``root`` is the last node (the loss)."""
    ids = list(sizes)
    preds: dict[int, list[int]] = defaultdict(list)
    succs: dict[int, list[int]] = defaultdict(list)
    for s, t, _ in edges:
        preds[t].append(s)
        succs[s].append(t)
    rank = _ranks(ids, succs, _topological(ids, preds, succs))
    # dummies: waypoints of edges that skip rows (ids below zero)
    width = dict(sizes)
    down: dict[int, list[int]] = defaultdict(list)  # segment graph, row r -> row r + 1
    up: dict[int, list[int]] = defaultdict(list)
    chains: list[list[int]] = []
    next_dummy = -1
    for s, t, _ in edges:
        chain = [s]
        for r in range(rank[s] + 1, rank[t]):
            rank[next_dummy] = r
            width[next_dummy] = (DUMMY_WIDTH, 0)
            chain.append(next_dummy)
            next_dummy -= 1
        chain.append(t)
        chains.append(chain)
        for a, b in pairwise(chain):
            down[a].append(b)
            up[b].append(a)
    n_rows = max(rank.values()) + 1
    # first order: a walk from the loss up through each node's inputs in argument order
    rows: list[list[int]] = [[] for _ in range(n_rows)]
    seen: set[int] = set()
    stack = [root]
    while stack:
        v = stack.pop()
        if v in seen:
            continue
        seen.add(v)
        rows[rank[v]].append(v)
        stack.extend(reversed(up[v]))
    for v in rank:  # anything the walk missed (never, for a graph of one loss)
        if v not in seen:
            rows[rank[v]].append(v)
    pos = {v: i for row in rows for i, v in enumerate(row)}
    best, best_rows = _crossings(rows, down, pos), [list(r) for r in rows]
    for sweep in range(8):
        rng = range(1, n_rows) if sweep % 2 == 0 else range(n_rows - 2, -1, -1)
        for r in rng:
            nbrs = up if sweep % 2 == 0 else down

            def centre(v: int, nbrs: dict[int, list[int]] = nbrs) -> float:
                near = [pos[u] for u in nbrs[v]]
                return sum(near) / len(near) if near else float(pos[v])

            rows[r].sort(key=centre)  # stable: ties keep their order
            pos.update({v: i for i, v in enumerate(rows[r])})
        count = _crossings(rows, down, pos)
        if count < best:
            best, best_rows = count, [list(r) for r in rows]
    rows = best_rows
    pos = {v: i for row in rows for i, v in enumerate(row)}
    # x: start packed, then pull each node toward its neighbours
    x: dict[int, float] = {}
    for row in rows:
        cursor = 0.0
        for v in row:
            x[v] = cursor + width[v][0] / 2
            cursor += width[v][0] + NODE_GAP
    for sweep in range(12):
        order = range(n_rows) if sweep % 2 == 0 else range(n_rows - 1, -1, -1)
        for r in order:
            row = rows[r]
            desired = []
            for v in row:
                near = [x[u] for u in up[v] + down[v]]
                desired.append(sum(near) / len(near) if near else x[v])
            for v, c in zip(row, _isotonic(desired, [width[v][0] for v in row]), strict=True):
                x[v] = c
    left = min(x[v] - width[v][0] / 2 for v in x)
    right = max(x[v] + width[v][0] / 2 for v in x)
    for v in x:
        x[v] += MARGIN - left
    row_height = [max((width[v][1] for v in row), default=0) for row in rows]
    y: dict[int, float] = {}
    top = float(MARGIN)
    for r, row in enumerate(rows):
        for v in row:
            y[v] = top + row_height[r] / 2
        top += row_height[r] + RANK_GAP
    routes = []
    n_inputs: dict[int, int] = defaultdict(int)
    for _, t, _ in edges:
        n_inputs[t] += 1
    for (s, t, k), chain in zip(edges, chains, strict=True):
        n = n_inputs[t]
        spread = min(18.0, sizes[t][0] / (n + 1))
        points = [(x[s], y[s] + sizes[s][1] / 2)]
        points += [(x[d], y[d]) for d in chain[1:-1]]
        points.append((x[t] + (k - (n - 1) / 2) * spread, y[t] - sizes[t][1] / 2))
        routes.append([(round(px, 1), round(py, 1)) for px, py in points])
    real = {v: (round(x[v], 1)) for v in ids}
    return Layout(x=real, y={v: round(y[v], 1) for v in ids}, rank={v: rank[v] for v in ids},
                  routes=routes, width=round(right - left + 2 * MARGIN, 1),
                  height=round(top - RANK_GAP + MARGIN, 1))

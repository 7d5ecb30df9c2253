"""The drawing of a life event's graph (rules/rule_graph.py): three columns, questions → rules →
procedures, as a server-made SVG (no JavaScript, no graphviz, no inline styles: the CSP allows none).

    svg = draw(graph, Words(title="転入の質問・ルール・手続き", desc=…))   # a str, every text escaped

Nodes are boxes with their Japanese name (cut to fit, the whole name in the box's ``<title>``);
a marked node is drawn dashed in red AND says so in words (「未使用」「到達不能」…): never colour
alone. The columns are ordered to cross fewer edges (barycentre sweeps, each followed by swaps of
neighbours while they help; the order with the fewest crossings is kept: for 離婚, 23 questions
and 40 rules, 2,218 crossings in file order, 854 after, in about 0.1 s). The SVG is
``role="img"`` with a ``<title>`` and a ``<desc>``; the page beside it carries the same graph as
tables (the content). The words are handed in by the caller (the console in the staff member's
language, the CLI in Japanese): this module is plain Python.
"""
from __future__ import annotations

import itertools
import math
import unicodedata
from dataclasses import dataclass, field
from html import escape as _escape

import networkx as nx

from rules.rule_graph import NEVER_FIRES, PROCEDURE, QUESTION, RULE, UNFIRED, UNREACHABLE, UNREAD, nodes_of

FONT = 13
BOX_H = 28
ROW = 38  # px per node of the longest column
TOP = 36  # the column headings
MARGIN = 12
GAP = 110  # between columns: room for the edges
WIDTHS = {QUESTION: 250, RULE: 210, PROCEDURE: 270}
KINDS = (QUESTION, RULE, PROCEDURE)
SWEEPS = 8

TEXT_COLOUR = "#1a1a1a"
EDGE_COLOUR = "#767676"  # 4.5:1 on white
FILLS = {QUESTION: "#e8f1fe", RULE: "#ffffff", PROCEDURE: "#f2f2f2"}
BORDER = "#595959"
MARK_COLOUR = "#b30000"  # 7.3:1 on its fill below
MARK_FILL = "#fdeeee"


@dataclass(frozen=True)
class Words:
    """The drawing's words, in the reader's language (defaults: Japanese, for the CLI)."""

    title: str
    desc: str = ""
    columns: tuple[str, str, str] = ("質問", "ルール", "手続き")
    marks: dict[str, str] = field(default_factory=lambda: {
        UNREAD: "未使用", UNREACHABLE: "到達不能", NEVER_FIRES: "成立しない", UNFIRED: "シナリオなし"})


def escape(value: object) -> str:
    """Text for XML content and attribute values (``<&>"'`` escaped)."""
    return _escape(str(value), quote=True)


def text_width(label: str, font: int = FONT) -> int:
    """Rough width in px: full-width characters count double."""
    return math.ceil(sum(font if unicodedata.east_asian_width(ch) in "WF" else font * 0.6 for ch in label))


def fit(label: str, width: int, font: int = FONT) -> str:
    """``label`` cut (with 「…」) to ``width`` px."""
    if text_width(label, font) <= width:
        return label
    out = ""
    for ch in label:
        if text_width(out + ch + "…", font) > width:
            break
        out += ch
    return out + "…"


# --- order: fewer crossings --------------------------------------------------------------------

def crossings(layers: list[list[str]], graph: nx.DiGraph) -> int:
    """Edge crossings between each pair of neighbouring columns."""
    total = 0
    for upper, lower in itertools.pairwise(layers):
        pos_u = {n: i for i, n in enumerate(upper)}
        pos_l = {n: i for i, n in enumerate(lower)}
        edges = [(pos_u[a], pos_l[b]) for a in upper for b in graph.successors(a) if b in pos_l]
        for i, (a1, b1) in enumerate(edges):
            for a2, b2 in edges[i + 1:]:
                if (a1 - a2) * (b1 - b2) < 0:
                    total += 1
    return total


def _by_barycentre(layer: list[str], neighbours, fixed: list[str]) -> list[str]:
    """``layer`` sorted by the mean place of each node's neighbours in ``fixed`` (a node without
    any keeps its place; ties keep the current order)."""
    pos = {n: i for i, n in enumerate(fixed)}
    scale = len(fixed) / max(len(layer), 1)

    def key(item: tuple[int, str]) -> tuple[float, int]:
        i, node = item
        places = [pos[m] for m in neighbours(node) if m in pos]
        return (sum(places) / len(places) if places else i * scale, i)
    return [n for _i, n in sorted(enumerate(layer), key=key)]


def _transpose(layers: list[list[str]], graph: nx.DiGraph) -> None:
    """Swap neighbours in a column while that crosses fewer edges (with both neighbouring columns)."""
    before = {n: list(graph.predecessors(n)) for n in graph}
    after = {n: list(graph.successors(n)) for n in graph}
    pos = [{n: i for i, n in enumerate(layer)} for layer in layers]

    def pair_crossings(u: str, v: str, index: int) -> int:
        """Crossings of u's edges with v's when u is above v."""
        n = 0
        for other, neighbours in ((index - 1, before), (index + 1, after)):
            if 0 <= other < len(layers):
                places = pos[other]
                pv = [places[m] for m in neighbours[v] if m in places]
                n += sum(1 for m in neighbours[u] if m in places for b in pv if places[m] > b)
        return n
    for _round in range(20):
        improved = False
        for index, layer in enumerate(layers):
            for i in range(len(layer) - 1):
                u, v = layer[i], layer[i + 1]
                if pair_crossings(v, u, index) < pair_crossings(u, v, index):
                    layer[i], layer[i + 1] = v, u
                    pos[index][u], pos[index][v] = i + 1, i
                    improved = True
        if not improved:
            break


def order(graph: nx.DiGraph) -> list[list[str]]:
    """The three columns, each in the order that crosses fewest edges (first found of the sweeps).
    Starts from the pack's order: questions as the event asks them, rules as the file has them."""
    layers = [[n for n, _d in nodes_of(graph, kind)] for kind in KINDS]
    best, best_n = [list(layer) for layer in layers], crossings(layers, graph)
    for _ in range(SWEEPS):
        if best_n == 0:
            break
        layers[1] = _by_barycentre(layers[1], graph.predecessors, layers[0])  # down
        layers[2] = _by_barycentre(layers[2], graph.predecessors, layers[1])
        _transpose(layers, graph)
        n = crossings(layers, graph)
        if n < best_n:
            best, best_n = [list(layer) for layer in layers], n
        layers[1] = _by_barycentre(layers[1], graph.successors, layers[2])  # up
        layers[0] = _by_barycentre(layers[0], graph.successors, layers[1])
        _transpose(layers, graph)
        n = crossings(layers, graph)
        if n < best_n:
            best, best_n = [list(layer) for layer in layers], n
    return best


# --- drawing ----------------------------------------------------------------------------------

def layout(graph: nx.DiGraph) -> tuple[dict[str, tuple[float, float]], int, int]:
    """(node → (x, y) of its box's top left corner, width, height) of the drawing."""
    columns = order(graph)
    longest = max((len(c) for c in columns), default=0)
    height = TOP + max(longest, 1) * ROW + MARGIN
    where: dict[str, tuple[float, float]] = {}
    x = MARGIN
    for kind, column in zip(KINDS, columns, strict=True):
        step = (height - TOP - MARGIN) / max(len(column), 1)  # a short column spreads over the height
        for i, node in enumerate(column):
            where[node] = (x, TOP + i * step + (step - BOX_H) / 2)
        x += WIDTHS[kind] + GAP
    return where, x - GAP + MARGIN, round(height)


def draw(graph: nx.DiGraph, words: Words, svg_id: str = "rule-graph") -> str:
    """The SVG of ``graph`` (a standalone document when saved: it names its namespace)."""
    where, width, height = layout(graph)
    ids = f"{svg_id}-title {svg_id}-desc"
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="rule-graph" id="{escape(svg_id)}" role="img" '
           f'aria-labelledby="{escape(ids)}" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
           f'font-size="{FONT}" font-family="sans-serif">',
           f'<title id="{escape(svg_id)}-title">{escape(words.title)}</title>',
           f'<desc id="{escape(svg_id)}-desc">{escape(words.desc)}</desc>']
    x = MARGIN
    for kind, heading in zip(KINDS, words.columns, strict=True):
        out.append(f'<text x="{x}" y="{TOP - 14}" font-weight="bold" fill="{TEXT_COLOUR}">{escape(heading)}</text>')
        x += WIDTHS[kind] + GAP
    for a, b in graph.edges():
        (ax, ay), (bx, by) = where[a], where[b]
        x1, y1 = ax + WIDTHS[graph.nodes[a]["kind"]], ay + BOX_H / 2
        x2, y2 = bx, by + BOX_H / 2
        mid = (x1 + x2) / 2
        dashed = ' stroke-dasharray="5 4"' if graph.nodes[a]["marks"] or graph.nodes[b]["marks"] else ""
        out.append(f'<path d="M{x1:.1f} {y1:.1f}C{mid:.1f} {y1:.1f} {mid:.1f} {y2:.1f} {x2:.1f} {y2:.1f}" '
                   f'fill="none" stroke="{EDGE_COLOUR}"{dashed}/>')
    for node, data in graph.nodes(data=True):
        out.append(_box(data, where[node], words))
    out.append("</svg>")
    return "".join(out)


def _box(data: dict, at: tuple[float, float], words: Words) -> str:
    x, y = at
    w = WIDTHS[data["kind"]]
    marks = [words.marks[m] for m in data["marks"]]
    tag = "・".join(marks)
    tag_w = text_width(tag, FONT - 1) + 8 if tag else 0
    label = fit(data["label"], w - 12 - tag_w)
    full = data["label"] + (f"（{tag}）" if tag else "")
    fill, stroke, extra = (MARK_FILL, MARK_COLOUR, ' stroke-width="2" stroke-dasharray="6 3"') if marks else \
        (FILLS[data["kind"]], BORDER, "")
    mid = y + BOX_H / 2
    parts = [f'<g><title>{escape(full)}</title>',
             f'<rect x="{x}" y="{y:.1f}" width="{w}" height="{BOX_H}" rx="4" fill="{fill}" stroke="{stroke}"{extra}/>',
             f'<text x="{x + 6}" y="{mid:.1f}" dominant-baseline="middle" fill="{TEXT_COLOUR}">{escape(label)}</text>']
    if tag:
        parts.append(f'<text x="{x + w - 6}" y="{mid:.1f}" text-anchor="end" dominant-baseline="middle" '
                     f'font-size="{FONT - 1}" font-weight="bold" fill="{MARK_COLOUR}">{escape(tag)}</text>')
    parts.append("</g>")
    return "".join(parts)

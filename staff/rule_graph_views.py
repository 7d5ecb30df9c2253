"""The rules' drawing for curators (/staff/rule-graph): per life event, its questions → rules →
procedures (rules/rule_graph.py) as an SVG (rules/rule_graph_svg.py) with the same graph as a
table beside it, and what needs a look marked: questions no rule reads, rules that can never
fire or that no scenario fires, procedures no rule reaches. Read-only: the loaded pack, nothing
stored. Access: core/policy.py (curator, admin)."""
from __future__ import annotations

from flask import Blueprint, Response, abort, render_template
from flask_babel import gettext as _
from markupsafe import Markup

from core.pack import rulebook
from rules.check import unreached_procedures
from rules.rule_graph import (
    NEVER_FIRES,
    PROCEDURE,
    QUESTION,
    RULE,
    UNFIRED,
    UNREACHABLE,
    UNREAD,
    counts,
    event_graph,
    nodes_of,
    unfired_rules,
)
from rules.rule_graph_svg import Words, draw

bp = Blueprint("staff_rule_graph", __name__, url_prefix="/staff/rule-graph", template_folder="templates")


def _graph(event: str):
    book = rulebook()
    if event not in book.events:  # an event the pack does not have (or any other text): 404
        abort(404)
    return book, event_graph(book, event, unfired=unfired_rules(book))


def _words(graph) -> Words:
    n = counts(graph)
    return Words(
        title=_("%(event)sの質問・ルール・手続きの関係図", event=graph.graph["name"]),
        desc=_("質問%(q)s件、ルール%(r)s件、手続き%(p)s件。印の付いた項目は%(w)s件です。"
               "同じ内容をこの図の後の表に示します。",
               q=n[QUESTION], r=n[RULE], p=n[PROCEDURE], w=n["warnings"]),
        columns=(_("質問"), _("ルール"), _("手続き")),
        marks={UNREAD: _("未使用"), UNREACHABLE: _("到達不能"), NEVER_FIRES: _("成立しない"), UNFIRED: _("シナリオなし")})


@bp.get("/")
def index():
    book = rulebook()
    unfired = unfired_rules(book)
    events = [(eid, book.kb.events[eid].name.ja, counts(event_graph(book, eid, unfired=unfired)))
              for eid in book.events]
    unreached = [(pid, book.kb.procedures[pid].name.ja) for pid in unreached_procedures(book)]
    return render_template("staff/rule_graph/index.html", events=events, unreached=unreached)


@bp.get("/<event>")
def event(event: str):
    book, graph = _graph(event)
    words = _words(graph)
    svg = Markup(draw(graph, words))  # noqa: S704  # nosec B704 - rules.rule_graph_svg escapes every text in it
    questions = nodes_of(graph, QUESTION)
    rules = [(data, [graph.nodes[q] for q in graph.predecessors(node)], graph.nodes[next(iter(graph.successors(node)))])
             for node, data in nodes_of(graph, RULE)]
    return render_template(
        "staff/rule_graph/event.html", event_id=event, name=graph.graph["name"], svg=svg,
        words=words, rules=rules, counts=counts(graph),
        questions=[(d, [graph.nodes[r]["label"] for r in graph.successors(n)]) for n, d in questions],
        marked={m: [d for _n, d in graph.nodes(data=True) if m in d["marks"]]
                for m in (UNREAD, NEVER_FIRES, UNFIRED, UNREACHABLE)},
        unreached=[(pid, book.kb.procedures[pid].name.ja) for pid in unreached_procedures(book)])


@bp.get("/<event>/drawing.svg")
def download(event: str):
    _book, graph = _graph(event)
    body = '<?xml version="1.0" encoding="UTF-8"?>\n' + draw(graph, _words(graph))
    return Response(body, mimetype="image/svg+xml", headers={
        "Content-Disposition": f'attachment; filename="rule-graph-{event}.svg"', "Cache-Control": "no-store"})

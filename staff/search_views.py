"""What residents could not find, for curators: the searches without a good result
(/staff/search-misses: the words residents typed that found nothing good, most frequent first;
guide/search_misses.py keeps the words only) and, beside them, the answers on result pages
(/staff/search-misses/feedback: 「この一覧は役に立ちましたか」 per life event and per procedure listed,
the procedures residents said were missing, their own words; guide/feedback.py, no personal
data). A curator adds a missing word to a procedure's ``search.aliases`` in the pack, or a missing
procedure to the event's rules."""
from __future__ import annotations

from flask import Blueprint, render_template, request

from core.languages import BY_CODE
from guide import feedback as guide_feedback
from guide.search_misses import top_misses
from staff.stats_views import _event_names, _procedure_names, read_query

bp = Blueprint("staff_search", __name__, url_prefix="/staff/search-misses", template_folder="templates")


def _period_context(query) -> dict:
    return {"query": query, "errors": query.errors,
            "field_errors": {e["field_id"]: e["message"] for e in query.errors},
            "start_label": query.start.isoformat(), "end_label": query.end.isoformat(),
            # the other page of the two, for the same period
            "period_args": {} if query.errors else {"from": query.start.isoformat(), "to": query.end.isoformat()}}


@bp.get("/")
def misses():
    query = read_query(request.args)
    rows = [] if query.errors else top_misses(query.start, query.end)
    return render_template("staff/search_misses.html", rows=rows, **_period_context(query)), \
        400 if query.errors else 200


@bp.get("/feedback")
def feedback():
    query = read_query(request.args)
    found = guide_feedback.Summary() if query.errors else guide_feedback.summary(query.start, query.end)
    events, procedures = _event_names(), _procedure_names()
    return render_template(
        "staff/guide_feedback.html", **_period_context(query),
        # every life event of the pack (0 where none answered), then events no longer in it
        events=[(events.get(e, e), *found.events.get(e, (0, 0))) for e in [*events, *sorted(set(found.events) - set(events))]],
        procedures=[(procedures.get(pid, pid), yes, no) for pid, yes, no in guide_feedback.ranked(found.procedures)],
        missing=[(procedures.get(pid, pid), events.get(e, e), n) for pid, e, n in found.missing],
        notes=[(day, events.get(e, e), BY_CODE[lang].native if lang in BY_CODE else lang, words)
               for day, e, lang, words in found.notes],
    ), 400 if query.errors else 200

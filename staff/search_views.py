"""Searches without a good result, for curators (/staff/search-misses): the words residents typed
that found nothing good, most frequent first, over a period (guide/search_misses.py keeps the words
only). A curator adds the missing word to a procedure's ``search.aliases`` in the pack."""
from __future__ import annotations

from flask import Blueprint, render_template, request

from guide.search_misses import top_misses
from staff.stats_views import read_query

bp = Blueprint("staff_search", __name__, url_prefix="/staff/search-misses", template_folder="templates")


@bp.get("/")
def misses():
    query = read_query(request.args)
    rows = [] if query.errors else top_misses(query.start, query.end)
    return render_template(
        "staff/search_misses.html", query=query, rows=rows, errors=query.errors,
        field_errors={e["field_id"]: e["message"] for e in query.errors},
        start_label=query.start.isoformat(), end_label=query.end.isoformat(),
    ), 400 if query.errors else 200

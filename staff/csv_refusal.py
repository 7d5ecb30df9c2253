"""A Shift_JIS CSV download that would lose characters is refused, never silently altered.

core.csv_export.to_csv_shift_jis raises ShiftJisUnmappable when a cell holds a character that
cp932 cannot encode (𠮷 U+20BB7, some 異体字, emoji). Every staff CSV export that offers Shift_JIS
lets it propagate; the handler registered here (app-wide) answers 422 with a page that lists each
character (the row's key such as the 受付番号, the column, the character and its code point) and
links the same export in UTF-8, which holds every character. The refusal is audited.
"""
from __future__ import annotations

from flask import Blueprint, render_template, request, url_for

from core import audit
from core.csv_export import ShiftJisUnmappable

SJIS_VALUES = ("shift_jis", "sjis", "cp932")
MAX_LISTED = 200


def utf8_url() -> str:
    """The same export without ?encoding=shift_jis (UTF-8 with BOM)."""
    args = {k: v for k, v in request.args.items(multi=True) if k != "encoding"}
    return url_for(request.endpoint, **(request.view_args or {}), **args) if request.endpoint else request.path


def refusal(exc: ShiftJisUnmappable):
    problems = exc.problems
    audit.record("staff.export", target=request.path, result="failed", details={
        "format": "csv-shift_jis", "reason": "shift_jis_unmappable", "count": len(problems),
        "code_points": sorted({p.code_point for p in problems})[:50]})
    return render_template("staff/exports/shift_jis_refused.html", problems=problems[:MAX_LISTED],
                           total=len(problems), utf8_url=utf8_url()), 422


def register(bp: Blueprint) -> None:
    bp.app_errorhandler(ShiftJisUnmappable)(refusal)

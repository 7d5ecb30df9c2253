"""/apply/<id>: online applications are not open yet; say so plainly and offer the counter."""
from __future__ import annotations

from flask import Blueprint, abort, render_template

from guide import rulebook

bp = Blueprint("intake", __name__, template_folder="templates")


@bp.get("/apply/<pid>")
def apply(pid: str):
    book = rulebook()
    proc = book.kb.procedures.get(pid)
    if proc is None:
        abort(404)
    return render_template("intake/not_yet.html", procedure=proc, kb=book.kb)

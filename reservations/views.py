"""/reserve: counter reservations are not open yet; say so plainly and show where to go."""
from __future__ import annotations

from flask import Blueprint, render_template, request

from guide import rulebook

bp = Blueprint("reservations", __name__, template_folder="templates")


@bp.get("/reserve")
def reserve():
    book = rulebook()
    ids = [p for p in request.args.get("procedures", "").split(",") if p in book.kb.procedures]
    procedures = [book.kb.procedures[p] for p in ids]
    return render_template("reservations/not_yet.html", procedures=procedures, kb=book.kb)

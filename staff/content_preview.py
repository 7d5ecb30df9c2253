"""The residents' pages as a curator's draft would make them: ``/preview/start?token=…`` (linked
from the draft's page in the console) keeps a signed, hour-long token in a cookie on the
residents' host, and while it is there every page is built from the draft's rulebook, under a
banner that says so and ends it. Outside /staff on purpose: with ``STAFF_HOST`` the console and the
residents' pages are on different hosts, and the token is the only thing carried across."""
from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, request, url_for

from staff import content

bp = Blueprint("content_preview", __name__, template_folder="templates")
COOKIE = "pack_preview"


@bp.before_app_request
def _use_the_draft() -> None:
    token = request.cookies.get(COOKIE)
    if not token or request.path.startswith("/staff"):
        return
    found = content.preview_rulebook(token)
    if found is not None:
        g.pack_preview_draft, g.pack_preview = found


@bp.get("/preview/start")
def start():
    token = request.args.get("token", "")
    response = redirect(url_for("guide.start"))
    refusal = content.preview_refusal(token)
    if refusal is not None:  # expired, changed, or a draft that fails the check: said plainly
        response = redirect(url_for("content_preview.ended", why=refusal))
        response.delete_cookie(COOKIE, path="/")
        return response
    response.set_cookie(COOKIE, token, max_age=content.PREVIEW_SECONDS, httponly=True, samesite="Lax",
                        secure=request.is_secure, path="/")
    return response


@bp.post("/preview/end")
def end():
    response = redirect(url_for("content_preview.ended"))
    response.delete_cookie(COOKIE, path="/")
    return response


@bp.get("/preview/ended")
def ended():
    why = request.args.get("why", "expired" if request.args.get("expired") else "")
    return render_template("preview_ended.html", why=why if why in content.PREVIEW_REFUSALS else "")

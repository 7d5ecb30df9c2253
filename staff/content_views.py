"""The curators' console (/staff/content): the version of the pack in force, drafts, browsing and
searching the files, the editor (and a form for fees), the checks and the impact before publishing,
scheduling, the history with its diffs, withdrawing and rolling back.

Thin: every change goes through staff/content.py (the checks, the reason, the audit record).
Who: curators and administrators act; auditors read the history and the diffs (core/policy.py).
A draft belongs to the curator who made it (another's answers 404).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
from typing import Any

import yaml
from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core import policy
from core.japan_time import JST, console_moment, today_in_japan
from core.languages import BY_CODE as LANGUAGES_BY_CODE
from core.pack_versions import DRAFT, FOLDERS, MAX_FILE_BYTES, WITHDRAWN, VersionError, aware, now_utc
from core.words import N_, Message, lang_of
from core.words import text as in_locale
from knowledge import yaml_edit
from staff import content
from staff import content_forms as forms
from staff.content_problems import read_problem
from staff.date_fields import parse_iso
from staff.guard import only_with_policy

bp = Blueprint("staff_content", __name__, url_prefix="/staff/content", template_folder="templates")
bp.before_request(only_with_policy)  # the staff guard decides first; this blueprint checks again

DONE = {
    "discarded": _l("下書きを削除しました。"),
    "published": _l("v%(n)s を公開しました。"),
    "scheduled": _l("v%(n)s を公開しました。%(when)s から使われます。"),
    "withdrawn": _l("v%(n)s の予約を取り下げました。"),
    "rolled_back": _l("v%(n)s として戻しました。今から使われます。"),
    "saved": _l("保存しました。「確認する」で問題がないか調べてください。"),
    "removed": _l("ファイルを削除しました。"),
    "fee_added": _l("手数料を追加しました。「確認する」で問題がないか調べてください。"),
    "deadline_saved": _l("期限を保存しました。「確認する」で問題がないか調べてください。"),
    "place_saved": _l("窓口を保存しました。「確認する」で問題がないか調べてください。"),
    "rule_added": _l("ルールを加えました。「確認する」で問題がないか調べてください。"),
    "scenario_added": _l("シナリオを加えました。「確認する」で、期待どおりの結果になるか調べてください。"),
    "bring_saved": _l("持ち物を保存しました。「確認する」で問題がないか調べてください。"),
    "counter_saved": _l("窓口を保存しました。「確認する」で問題がないか調べてください。"),
}
STATE_NAMES = {"in_force": _l("公開中"), "scheduled": _l("予約"), "past": _l("過去"), "withdrawn": _l("取り下げ")}
KIND_NAMES = {"added": _l("追加"), "changed": _l("変更"), "removed": _l("削除")}
CHANNELS = (("any", _l("窓口・オンライン")), ("counter", _l("窓口のみ")), ("online", _l("オンラインのみ")))
PROCEDURE_FILE = re.compile(r"^procedures/[a-z0-9_]+\.yaml$")


# --- helpers ------------------------------------------------------------------------------

def _actor() -> str:
    return g.staff.login_id


def _locale() -> str:
    return lang_of(g.get("locale", "ja"))


def _can(endpoint: str) -> bool:
    return policy.allowed(endpoint, g.staff.role)


def _when(moment: dt.datetime | None) -> str:
    """A stored time in Japan time, saying so: 「2027-04-01 00:00（日本時間）」 (every time on the console's pages)."""
    return f"{console_moment(moment)}{_('（日本時間）')}" if moment is not None else ""


def _done() -> str | None:
    message = DONE.get(request.args.get("done", ""))
    if message is None:
        return None
    return str(message) % {"n": request.args.get("v", "")[:8], "when": request.args.get("when", "")[:40]}


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {"when": _when, "can": _can, "kind_names": KIND_NAMES, "state_names": STATE_NAMES,
            "preview_available": "content_preview.start" in current_app.view_functions}


@bp.app_template_global("content_links")
def content_links() -> list[tuple[str, str]]:
    """The curators' console on the console home, for the roles the policy lets in."""
    staff = getattr(g, "staff", None)
    links = [("staff_content.index", _("コンテンツの管理（ルール・手続き・手数料）")),
             ("staff_content.history", _("コンテンツの版の履歴"))]
    return [(e, label) for e, label in links if staff is not None and policy.allowed(e, staff.role)]


def _draft(draft_id: int):
    return content.draft(draft_id, _actor())


def _state(version, in_force_number: int | None) -> str:
    if version.state == WITHDRAWN:
        return "withdrawn"
    if version.number == in_force_number:
        return "in_force"
    if version.number == 1:
        return "past"  # v1 stands for all time before it: never "scheduled"
    effective = aware(version.effective_from)
    return "scheduled" if effective and effective > now_utc() else "past"


def _other_links() -> list[tuple[str, str]]:
    wanted = [("staff_rule_graph.index", _("ルールの関係図")), ("staff_search.feedback", _("結果ページへの評価")),
              ("staff_search.misses", _("見つからなかった検索語"))]
    return [(e, label) for e, label in wanted if e in current_app.view_functions and _can(e)]


# --- overview -----------------------------------------------------------------------------

@bp.get("/")
def index():
    version = content.in_force()
    municipality = version.municipality
    return render_template(
        "staff/content/index.html", version=version, scheduled=content.store.scheduled(municipality),
        drafts=content.store.drafts(municipality, _actor()), done=_done(), other_links=_other_links())


@bp.post("/drafts")
def new_draft():
    d = content.new_draft(_actor())
    return redirect(url_for("staff_content.draft", draft_id=d.id))


@bp.post("/drafts/<int:draft_id>/discard")
def discard(draft_id: int):
    content.discard(_draft(draft_id))
    return redirect(url_for("staff_content.index", done="discarded"))


# --- browse and search --------------------------------------------------------------------

def _grouped(paths: list[str]) -> list[tuple[str, list[str]]]:
    groups: dict[str, list[str]] = {}
    for path in paths:
        folder = path.split("/", 1)[0] if "/" in path else ""
        groups.setdefault(folder, []).append(path)
    return sorted(groups.items(), key=lambda item: (item[0] != "", item[0]))


@bp.get("/files")
def files():
    draft_id = request.args.get("draft", "")
    d = _draft(int(draft_id)) if draft_id.isdigit() else None
    version = d or content.in_force()
    words = request.args.get("q", "").strip()[:100]
    found = content.search(version, words) if words else []
    return render_template("staff/content/files.html", version=version, draft=d, words=words, found=found,
                           groups=_grouped(content.file_list(version)))


@bp.get("/v/<int:number>/file/<path:path>")
def view_file(number: int, path: str):
    version = content.store.by_number(content.in_force().municipality, number)
    text = content.read_file(version, path)
    if text is None:
        abort(404)
    return render_template("staff/content/file.html", version=version, path=content.store.check_path(path),
                           lines=text.splitlines())


# --- a draft: its changes, files, checks and impact, publishing --------------------------------

def _draft_page(d, *, result=None, impact=None, errors=None, posted=None, status: int = 200,
                refused: str | None = None):
    errors = errors or []
    token_link = None
    if "content_preview.start" in current_app.view_functions:
        token_link = url_for("content_preview.start", token=content.preview_token(d), _external=False)
    problems = [read_problem(p, _locale()) for p in result.problems] if result is not None else []
    paths = content.file_list(d)
    return render_template(
        "staff/content/draft.html", draft=d, changes=content.changes_of(d), paths=paths,
        result=result, problems=problems, warnings=[read_problem(w, _locale()) for w in (result.warnings if result else [])],
        impact=impact, errors=errors, field_errors={e["field_id"]: e["message"] for e in errors},
        posted=posted or {}, done=_done() if not errors else None, preview_link=token_link, refused=refused,
        folders=FOLDERS, folder_choices=[{"value": f, "label": f"{f}/"} for f in FOLDERS],
        path_choices=[{"value": p, "label": p} for p in paths],
        max_mb=MAX_FILE_BYTES // 1_000_000), status


@bp.get("/drafts/<int:draft_id>")
def draft(draft_id: int):
    d = _draft(draft_id)
    if request.args.get("starter") == "procedure":  # a new procedure's file to fill in
        starter = forms.procedure_starter(forms.catalogue(content.store.files_of(d), _locale()),
                                          today_in_japan().isoformat())
        return _draft_page(d, posted={"path": "procedures/", "content": starter})
    return _draft_page(d)


@bp.get("/drafts/<int:draft_id>/check")
def check(draft_id: int):
    d = _draft(draft_id)
    result = content.check(d)
    return _draft_page(d, result=result, impact=content.impact(d) if result.book is not None else None)


@bp.post("/drafts/<int:draft_id>/files")
def add_file(draft_id: int):
    d = _draft(draft_id)
    path = request.form.get("path", "").strip()[:300]
    text = request.form.get("content", "").replace("\r\n", "\n")
    posted = {"path": path, "content": text}
    if not path:
        return _draft_page(d, errors=[{"field_id": "path", "message": _("ファイル名を入れてください。")}],
                           posted=posted, status=400)
    try:
        if content.store.check_path(path) in content.file_list(d):  # adding never replaces: editing does
            return _draft_page(d, errors=[{"field_id": "path", "message": _(
                "同じ名前のファイルがあります。変えるときは、一覧の「編集」から開いてください。")}], posted=posted, status=409)
        saved = content.save_file(d, path, text.encode("utf-8"))
    except VersionError as exc:
        return _draft_page(d, errors=[{"field_id": "path", "message": exc.text()}], posted=posted,
                           status=exc.status)
    return redirect(url_for("staff_content.editor", draft_id=d.id, path=saved, done="saved"))


@bp.post("/drafts/<int:draft_id>/upload")
def upload(draft_id: int):
    d = _draft(draft_id)
    folder = request.form.get("folder", "")
    sent = request.files.get("file")
    name = (sent.filename or "").replace("\\", "/").rsplit("/", 1)[-1] if sent else ""
    if not name:
        return _draft_page(d, errors=[{"field_id": "file", "message": _("ファイルを選んでください。")}], status=400)
    if not name.endswith(".yaml"):
        return _draft_page(d, errors=[{"field_id": "file", "message": _("送れるのは .yaml のファイルだけです。")}],
                           status=400)
    try:
        data = sent.stream.read(MAX_FILE_BYTES + 1)
    finally:
        sent.close()  # a large upload is spooled to a temporary file
    try:
        saved = content.save_file(d, f"{folder}/{name}" if folder in FOLDERS else name, data)
    except VersionError as exc:
        return _draft_page(d, errors=[{"field_id": "file", "message": exc.text()}], status=exc.status)
    return redirect(url_for("staff_content.editor", draft_id=d.id, path=saved, done="saved"))


@bp.post("/drafts/<int:draft_id>/remove")
def remove(draft_id: int):
    d = _draft(draft_id)
    path = request.form.get("remove-path", "")
    if not path:
        return _draft_page(d, errors=[{"field_id": "remove-path", "message": _("削除するファイルを選んでください。")}],
                           status=400)
    try:
        content.remove_file(d, path)
    except VersionError as exc:
        return _draft_page(d, errors=[{"field_id": "remove-path", "message": exc.text()}], status=exc.status)
    return redirect(url_for("staff_content.draft", draft_id=d.id, done="removed"))


def _effective_from(form) -> tuple[dt.datetime | None, list[dict[str, str]]]:
    """「今すぐ」, or 00:00 Japan time of the chosen day (in UTC)."""
    if form.get("when") != "date":
        return None, []
    day = parse_iso(form.get("effective_on", ""))
    if day is None:
        return None, [{"field_id": "effective_on", "message": _("開始日を 2027-04-01 のように入れてください。")}]
    if day <= today_in_japan():
        return None, [{"field_id": "effective_on", "message": _("開始日は明日以降の日付にしてください。今日から使うときは「今すぐ」を選んでください。")}]
    return dt.datetime.combine(day, dt.time(0, 0), tzinfo=JST).astimezone(dt.UTC), []


def _publish_form(d):
    reason = request.form.get("reason", "").strip()[:2000]
    posted = {"reason": reason, "when": request.form.get("when", "now"),
              "effective_on": request.form.get("effective_on", "")[:20]}
    effective_from, errors = _effective_from(request.form)
    if not reason:
        errors.insert(0, {"field_id": "reason", "message": _("公開の理由を書いてください。")})
    return reason, posted, effective_from, errors


def _confirm_page(d, posted, effective_from, *, refused: str | None = None, status: int = 200):
    """What publishing will do, to be confirmed: the files changed, the check, the impact, from
    when, why. Nothing is published from the draft's page in one click."""
    result = content.check(d)
    impact = content.impact(d) if result.book is not None else None
    return render_template(
        "staff/content/publish.html", draft=d, changes=content.changes_of(d), result=result, impact=impact,
        posted=posted, effective=_when(effective_from) if effective_from else None, refused=refused,
        problems=len(result.problems), digest=d.digest), 409 if refused or not result.ok else status


@bp.post("/drafts/<int:draft_id>/publish/confirm")
def publish_confirm(draft_id: int):
    d = _draft(draft_id)
    _reason, posted, effective_from, errors = _publish_form(d)
    if errors:
        return _draft_page(d, errors=errors, posted=posted, status=400)
    return _confirm_page(d, posted, effective_from)


@bp.post("/drafts/<int:draft_id>/publish")
def publish(draft_id: int):
    d = _draft(draft_id)
    reason, posted, effective_from, errors = _publish_form(d)
    if errors:
        return _draft_page(d, errors=errors, posted=posted, status=400)
    confirmed = request.form.get("confirmed", "")[:100]
    if not confirmed:  # not from the confirmation page: show it first
        return _confirm_page(d, posted, effective_from)
    try:
        version = content.publish(d, _actor(), g.staff.role, reason, effective_from, confirmed=confirmed)
    except VersionError as exc:
        if exc.code == "draft_changed":
            return _confirm_page(d, posted, effective_from, refused=exc.text())
        result = content.check(d) if exc.status == 409 else None
        return _draft_page(d, result=result, posted=posted, status=exc.status, refused=exc.text(),
                           errors=[{"field_id": "reason", "message": exc.text()}])
    effective = aware(version.effective_from)
    if effective and effective > now_utc():
        return redirect(url_for("staff_content.index", done="scheduled", v=version.number, when=_when(effective)))
    return redirect(url_for("staff_content.index", done="published", v=version.number))


# --- the editor and the fees form ---------------------------------------------------------------

def _fees_of(text: str) -> list[dict[str, Any]] | None:
    """The ``fees:`` of a procedure file, or None when the file does not read as one."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return None
    if not isinstance(data, dict):
        return None
    fees = data.get("fees") or []
    return [f for f in fees if isinstance(f, dict)] if isinstance(fees, list) else None


def _words(errors) -> list[dict[str, str]]:
    """Form errors with their Messages (staff/content_forms.py) read in the page's language."""
    return [{"field_id": e["field_id"], "message": e["message"].text(_locale()) if isinstance(
        e["message"], Message) else e["message"]} for e in errors]


def _editor_page(d, path: str, *, text: str | None = None, errors=None, posted=None, status: int = 200,
                 deadline=None, bring=None):
    """The editor; for a procedure, its forms (fees, deadline, things to bring): ``deadline`` and
    ``bring`` are what was posted when a form is shown again with its errors."""
    saved = content.read_file(d, path)
    if saved is None:
        abort(404)
    errors = _words(errors or [])
    fees = _fees_of(saved) if PROCEDURE_FILE.match(path) else None
    procedure = forms.load(saved) if fees is not None else None
    listing = RULES_FILE.match(path) or SCENARIOS_FILE.match(path)  # the rule and scenario forms
    catalogue = forms.catalogue(content.store.files_of(d), _locale(), procedures=bool(listing)) \
        if fees is not None or listing else None
    scenarios = forms.load(saved) if SCENARIOS_FILE.match(path) else None
    return render_template(
        "staff/content/editor.html", draft=d, path=path, text=saved if text is None else text,
        text_posted=text is not None, saved_digest=hashlib.sha256(saved.encode("utf-8")).hexdigest()[:16],
        lines=saved.splitlines(), fees=fees, channel_names=dict(CHANNELS), errors=errors,
        channel_choices=[{"value": value, "label": label} for value, label in CHANNELS],
        field_errors={e["field_id"]: e["message"] for e in errors}, posted=posted or {},
        done=_done() if not errors else None, catalogue=catalogue,
        deadline=deadline or (forms.deadline_values(procedure.get("deadline")) if isinstance(procedure, dict) else None),
        bring=bring if bring is not None else (forms.bring_rows(procedure.get("bring")) if isinstance(procedure, dict) else None),
        kind_choices=[{"value": k, "label": in_locale(_locale(), forms.KIND_NAMES[k])} for k in forms.DEADLINE_KINDS],
        per_choices=[{"value": k, "label": in_locale(_locale(), v)} for k, v in forms.PER_NAMES.items()],
        languages=LANGUAGES_BY_CODE, required_codes=forms.REQUIRED, optional_codes=forms.OPTIONAL,
        is_departments=path == "departments.yaml",
        place=procedure.get("counter") if isinstance(procedure, dict) else None,
        rule_form=bool(RULES_FILE.match(path)) and isinstance(forms.load(saved), dict),
        scenario_choices=[{"value": str(n), "label": name} for n, name in enumerate(forms.scenario_names(scenarios))]
        if SCENARIOS_FILE.match(path) and isinstance(scenarios, list) else None,
        counter_choices=[{"value": i, "label": f"{i}（{name}）"} for i, name, _dep in catalogue.counters] if catalogue else []), status


@bp.get("/drafts/<int:draft_id>/file/<path:path>")
def editor(draft_id: int, path: str):
    return _editor_page(_draft(draft_id), content.store.check_path(path))


@bp.post("/drafts/<int:draft_id>/file/<path:path>")
def save(draft_id: int, path: str):
    d = _draft(draft_id)
    path = content.store.check_path(path)
    text = request.form.get("content", "").replace("\r\n", "\n")
    if content.read_file(d, path) is None:
        abort(404)
    try:
        content.save_file(d, path, text.encode("utf-8"))
    except VersionError as exc:
        return _editor_page(d, path, text=text, errors=[{"field_id": "content", "message": exc.text()}],
                            status=exc.status)
    return redirect(url_for("staff_content.editor", draft_id=d.id, path=path, done="saved"))


def _read_fee(form) -> tuple[dict[str, Any], list[dict[str, str]]]:
    errors: list[dict[str, str]] = []
    amount = form.get("amount_yen", "").strip().replace(",", "")
    unit_ja, unit_en = form.get("unit_ja", "").strip()[:100], form.get("unit_en", "").strip()[:100]
    channel = form.get("channel", "any")
    valid_from = parse_iso(form.get("valid_from", ""))
    source_url = form.get("source_url", "").strip()[:500]
    if not amount.isdigit() or not amount.isascii():
        errors.append({"field_id": "amount_yen", "message": _("金額を 0 以上の整数（円）で入れてください。")})
    if not unit_ja:
        errors.append({"field_id": "unit_ja", "message": _("単位（日本語）を入れてください。例：1通")})
    if not unit_en:
        errors.append({"field_id": "unit_en", "message": _("単位（英語）を入れてください。例：per copy")})
    if channel not in dict(CHANNELS):
        errors.append({"field_id": "channel", "message": _("どこで払う手数料かを選んでください。")})
    if valid_from is None:
        errors.append({"field_id": "valid_from", "message": _("開始日を 2027-04-01 のように入れてください。")})
    elif valid_from <= today_in_japan():
        errors.append({"field_id": "valid_from", "message": _("開始日は明日以降の日付にしてください。")})
    if source_url and not re.match(r"^https?://\S+$", source_url):
        errors.append({"field_id": "source_url", "message": _("出典は https:// で始まるアドレスを入れてください。")})
    fee: dict[str, Any] = {"amount_yen": int(amount) if amount.isdigit() and amount.isascii() else 0,
                           "unit": {"ja": unit_ja, "en": unit_en}, "channel": channel, "valid_from": valid_from}
    if source_url:
        fee["source_url"] = source_url
    return fee, errors


@bp.post("/drafts/<int:draft_id>/fees/<path:path>")
def add_fee(draft_id: int, path: str):
    """A new fee from a future day: the open-ended fee of the same channel ends the day before."""
    d = _draft(draft_id)
    path = content.store.check_path(path)
    text = content.read_file(d, path)
    if text is None or not PROCEDURE_FILE.match(path):
        abort(404)
    posted = {k: request.form.get(k, "")[:500] for k in
              ("amount_yen", "unit_ja", "unit_en", "channel", "valid_from", "source_url")}
    fee, errors = _read_fee(request.form)
    data = None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        pass
    if not isinstance(data, dict) or not isinstance(data.get("fees") or [], list):
        errors.append({"field_id": "amount_yen", "message": _("このファイルは読み取れないため、フォームでは変更できません。上の欄で直してください。")})
    if not errors:
        fees = data.get("fees") or []
        for old in fees:
            if not isinstance(old, dict) or old.get("channel", "any") != fee["channel"] or old.get("valid_to"):
                continue
            started = parse_iso(old.get("valid_from"))
            if started is not None and started >= fee["valid_from"]:
                errors.append({"field_id": "valid_from", "message": _("この日以降に始まる手数料がすでにあります。開始日を確かめてください。")})
                break
            old["valid_to"] = fee["valid_from"] - dt.timedelta(days=1)
    if errors:
        return _editor_page(d, path, errors=errors, posted=posted, status=400)
    fees.append(fee)
    try:
        changed = yaml_edit.replace(text, ("fees",), fees)
    except yaml_edit.EditError:
        data["fees"] = fees  # a layout the splice cannot follow: the whole file, as before
        changed = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    content.save_file(d, path, changed.encode("utf-8"))
    return redirect(url_for("staff_content.editor", draft_id=d.id, path=path, done="fee_added"))


def _procedure_of(d, path: str) -> tuple[str, dict[str, Any] | None]:
    path = content.store.check_path(path)
    saved = content.read_file(d, path)
    if saved is None or not PROCEDURE_FILE.match(path):
        abort(404)
    data = forms.load(saved)
    return saved, data if isinstance(data, dict) else None


def _unreadable() -> dict[str, Any]:
    return {"field_id": "content", "message": _(
        "このファイルは読み取れないため、フォームでは変更できません。上の欄で直してください。")}


def _splice(d, path: str, saved: str, key: str, value: Any, origins: yaml_edit.Origins | None = None) -> bool:
    """The file with only what changed under ``key`` rewritten, saved in the draft (False: the
    file's layout is one the splice cannot follow). ``origins``: where each item of a list came
    from, so that a moved item keeps its lines (its comments, its conditions as written)."""
    try:
        changed = yaml_edit.update(saved, (key,), value, flow=forms.CONDITION_KEYS, origins=origins)
    except yaml_edit.EditError:
        return False
    if changed != saved:
        content.save_file(d, path, changed.encode("utf-8"))
    return True


@bp.post("/drafts/<int:draft_id>/deadline/<path:path>")
def save_deadline(draft_id: int, path: str):
    d = _draft(draft_id)
    path = content.store.check_path(path)
    saved, data = _procedure_of(d, path)
    if data is None:
        return _editor_page(d, path, errors=[_unreadable()], status=400)
    values = forms.posted_deadline(request.form, data.get("deadline"))
    deadline, errors = forms.read_deadline(values, data.get("deadline"))
    origins = {("deadline", "variants"): [row.orig for row in values["variants"]]}
    if not errors and not _splice(d, path, saved, "deadline", deadline, origins):
        errors = [_unreadable()]
    if errors:
        return _editor_page(d, path, errors=errors, deadline=values, status=400)
    return redirect(url_for("staff_content.editor", draft_id=d.id, path=path, done="deadline_saved", _anchor="deadline-title"))


RULES_FILE = re.compile(r"^rules/[a-z0-9_]+\.yaml$")
SCENARIOS_FILE = re.compile(r"^scenarios/[a-z0-9_]+\.yaml$")


def _listing_file(d, path: str, pattern: re.Pattern[str]) -> tuple[str, str, Any]:
    path = content.store.check_path(path)
    saved = content.read_file(d, path)
    if saved is None or not pattern.match(path):
        abort(404)
    return path, saved, forms.load(saved)


def _procedure_ids(d) -> set[str]:
    return {i for i, _name in forms.catalogue(content.store.files_of(d), _locale(), procedures=True).procedures}


@bp.post("/drafts/<int:draft_id>/rules/<path:path>")
def save_rule(draft_id: int, path: str):
    """A new rule at the end of a life event's rules: which procedure, under which conditions."""
    d = _draft(draft_id)
    path, saved, data = _listing_file(d, path, RULES_FILE)
    posted = {k: request.form.get(k, "")[:1000] for k in ("rule_id", "procedure", "when", "member")}
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
        return _editor_page(d, path, errors=[_unreadable()], posted=posted, status=400)
    rule, errors = forms.read_rule(request.form, data["rules"], _procedure_ids(d))
    changed = None
    if not errors:
        try:
            changed = yaml_edit.append(saved, ("rules",), rule)
        except yaml_edit.EditError:
            errors = [_unreadable()]
    if errors:
        return _editor_page(d, path, errors=errors, posted=posted, status=400)
    content.save_file(d, path, changed.encode("utf-8"))
    return redirect(url_for("staff_content.editor", draft_id=d.id, path=path, done="rule_added", _anchor="rule-title"))


@bp.post("/drafts/<int:draft_id>/scenarios/<path:path>")
def save_scenario(draft_id: int, path: str):
    """A new scenario: a copy of one of the file's, renamed, that must now list a procedure."""
    d = _draft(draft_id)
    path, saved, data = _listing_file(d, path, SCENARIOS_FILE)
    posted = {k: request.form.get(k, "")[:200] for k in ("copy", "name", "include")}
    if not isinstance(data, list):
        return _editor_page(d, path, errors=[_unreadable()], posted=posted, status=400)
    scenario, errors = forms.read_scenario(request.form, data, _procedure_ids(d))
    changed = None
    if not errors:
        try:
            changed = yaml_edit.append(saved, (), scenario)
        except yaml_edit.EditError:
            errors = [_unreadable()]
    if errors:
        return _editor_page(d, path, errors=errors, posted=posted, status=400)
    content.save_file(d, path, changed.encode("utf-8"))
    return redirect(url_for("staff_content.editor", draft_id=d.id, path=path, done="scenario_added",
                            _anchor="scenario-title"))


@bp.post("/drafts/<int:draft_id>/place/<path:path>")
def save_place(draft_id: int, path: str):
    """The counter that takes the procedure (its department follows the counter's)."""
    d = _draft(draft_id)
    path = content.store.check_path(path)
    saved, data = _procedure_of(d, path)
    if data is None:
        return _editor_page(d, path, errors=[_unreadable()], status=400)
    counter_id = request.form.get("counter", "").strip()[:60]
    department = {c: dep for c, _name, dep in forms.catalogue(content.store.files_of(d), _locale()).counters}.get(counter_id)
    if department is None:
        return _editor_page(d, path, errors=[{"field_id": "counter", "message": _("窓口を一覧から選んでください。")}],
                            status=400)
    try:
        changed = yaml_edit.replace(yaml_edit.replace(saved, ("department",), department), ("counter",), counter_id)
    except yaml_edit.EditError:
        return _editor_page(d, path, errors=[_unreadable()], status=400)
    content.save_file(d, path, changed.encode("utf-8"))
    return redirect(url_for("staff_content.editor", draft_id=d.id, path=path, done="place_saved", _anchor="place-title"))


@bp.post("/drafts/<int:draft_id>/bring/<path:path>")
def save_bring(draft_id: int, path: str):
    """Things to bring: save, remove, or move one item up or down (every button saves the list)."""
    d = _draft(draft_id)
    path = content.store.check_path(path)
    saved, data = _procedure_of(d, path)
    if data is None:
        return _editor_page(d, path, errors=[_unreadable()], status=400)
    old = data.get("bring") if isinstance(data.get("bring"), list) else []
    rows = forms.move(forms.posted_bring_rows(request.form, old), request.form.get("action", "save"))
    known = forms.catalogue(content.store.files_of(d), _locale()).item_ids()
    bring, errors = forms.read_bring(rows, old, known)
    if any(not isinstance(entry, dict) for entry in old):  # an entry the form cannot show: never dropped
        errors = [_unreadable()]
    if not errors and (bring or "bring" in data) \
            and not _splice(d, path, saved, "bring", bring, {("bring",): [row.orig for row in rows]}):
        errors = [_unreadable()]
    if errors:
        return _editor_page(d, path, errors=errors, bring=rows, status=400)
    return redirect(url_for("staff_content.editor", draft_id=d.id, path=path, done="bring_saved", _anchor="bring-title"))


# --- a counter of departments.yaml ------------------------------------------------------------

COUNTERS_FILE = "departments.yaml"


def _counter_page(d, counter_id: str, *, values=None, errors=None, department: str = "", status: int = 200):
    saved = content.read_file(d, COUNTERS_FILE)
    if saved is None:
        abort(404)
    data = forms.load(saved)
    departments = data.get("departments") if isinstance(data, dict) else None
    found = forms.find_counter(departments, counter_id) if counter_id else None
    if counter_id and found is None:
        abort(404)
    old = departments[found[0]]["counters"][found[1]] if found else None
    errors = _words(errors or [])
    catalogue = forms.catalogue(content.store.files_of(d), _locale())
    return render_template(
        "staff/content/counter.html", draft=d, counter_id=counter_id, errors=errors,
        field_errors={e["field_id"]: e["message"] for e in errors}, done=_done() if not errors else None,
        values=values or forms.counter_values(old), department=department, catalogue=catalogue,
        readable=isinstance(departments, list), path=COUNTERS_FILE,
        counter_choices=[{"value": i, "label": f"{i}（{name}）"} for i, name, _dep in catalogue.counters],
        department_choices=[{"value": i, "label": f"{i}（{name}）"} for i, name in catalogue.departments],
        languages=LANGUAGES_BY_CODE, required_codes=forms.REQUIRED, optional_codes=forms.OPTIONAL), status


@bp.get("/drafts/<int:draft_id>/counters")
def counter(draft_id: int):
    return _counter_page(_draft(draft_id), request.args.get("counter", "").strip()[:60])


@bp.post("/drafts/<int:draft_id>/counters")
def save_counter(draft_id: int):
    """Change a counter (``counter``: its id), or add one to a department (``department``)."""
    d = _draft(draft_id)
    counter_id = request.form.get("counter", "").strip()[:60]
    department = request.form.get("department", "").strip()[:60]
    saved = content.read_file(d, COUNTERS_FILE)
    data = forms.load(saved)
    departments = data.get("departments") if isinstance(data, dict) else None
    if saved is None or not isinstance(departments, list):
        abort(404)
    found = forms.find_counter(departments, counter_id) if counter_id else None
    if counter_id and found is None:
        abort(404)
    catalogue = forms.catalogue(content.store.files_of(d), _locale())
    old = departments[found[0]]["counters"][found[1]] if found else None
    new, errors = forms.read_counter(request.form, old, {i for i, _n, _d in catalogue.counters})
    dep_index = next((n for n, dep in enumerate(departments) if isinstance(dep, dict) and dep.get("id") == department), None)
    if found is None and dep_index is None:
        errors.insert(0, {"field_id": "department", "message": Message(N_("窓口を置く課を選んでください。"))})
    changed = None
    if not errors:
        try:
            changed = (yaml_edit.replace(saved, ("departments", found[0], "counters", found[1]), new) if found else
                       yaml_edit.append(saved, ("departments", dep_index, "counters"), new))
        except yaml_edit.EditError:
            errors = [_unreadable()]
    if errors:
        values = {**{name: forms.text_posted(request.form, name) for name, _r in forms.COUNTER_TEXTS},
                  **{k: request.form.get(k, "")[:60] for k in ("id", "floor", "window", "phone")}}
        return _counter_page(d, counter_id, values=values, errors=errors, department=department, status=400)
    content.save_file(d, COUNTERS_FILE, changed.encode("utf-8"))
    return redirect(url_for("staff_content.counter", draft_id=d.id, counter=new["id"], done="counter_saved"))


# --- history, changes, withdraw, rollback ------------------------------------------------------

@bp.get("/history")
def history():
    versions = content.history()
    current = content.store.current(versions[0].municipality) if versions else None
    number = current.number if current else None
    rows = [(v, _state(v, number)) for v in versions]
    return render_template("staff/content/history.html", rows=rows, done=_done())


@bp.get("/v/<int:number>/changes")
def changes(number: int):
    version = content.store.by_number(content.in_force().municipality, number)
    return render_template("staff/content/changes.html", version=version, changes=content.changes_of(version))


@bp.post("/v/<int:number>/withdraw")
def withdraw(number: int):
    content.withdraw(number, _actor(), g.staff.role)
    return redirect(url_for("staff_content.history", done="withdrawn", v=number))


@bp.get("/v/<int:number>/rollback")
def rollback_confirm(number: int):
    version = content.store.by_number(content.in_force().municipality, number)
    if version.state == DRAFT:
        abort(404)
    return render_template("staff/content/rollback.html", version=version, errors=[], field_errors={})


@bp.post("/v/<int:number>/rollback")
def rollback(number: int):
    reason = request.form.get("reason", "").strip()[:2000]
    version = content.rollback(number, _actor(), g.staff.role, reason)
    return redirect(url_for("staff_content.history", done="rolled_back", v=version.number))

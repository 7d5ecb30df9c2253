"""Curators' versions of the pack: drafts, the checks, the impact, publishing, scheduling and
rollback. Every way to change what residents are told goes through here, so none can skip the
checks (the same as ``flask knowledge check``, ``rules check`` and ``rules test``), the reason or
the audit record. Storage is core/pack_versions.py; the served version is picked by core/pack.py.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from flask import Flask, current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from core import audit
from core import pack_versions as store
from core.db import db
from core.japan_time import today_in_japan
from core.models import GuideAnswerSample, PackVersion
from core.pack import rulebook
from intake.forms import Form, build_form, load_forms
from intake.forms_schema import FormFile
from knowledge.loader import PACKS_DIR, KnowledgeBase, load_pack
from knowledge.yamlfile import KnowledgeError, read_yaml
from rules.impact import Change, compare
from rules.pack_check import PackCheck, check_pack
from rules.ruleset import Rulebook

log = logging.getLogger(__name__)
SAMPLE_KEEP = 500  # recent questionnaires kept for the impact preview
_checked: OrderedDict[tuple[str, str], PackCheck] = OrderedDict()  # (municipality, digest) -> its checks
_CHECKED_KEEP = 4


def _municipality() -> str:
    return current_app.config["MUNICIPALITY"]


def _root() -> Path:
    return Path(current_app.instance_path) / "pack-versions"


def in_force() -> PackVersion:
    """The version residents are served now. Read only: the first version is recorded when the
    app starts (``record_first_version``) or by the first change, never by a page being read."""
    version = store.current(_municipality())
    if version is None:
        raise store.VersionError("no_version", _l("最初の版がまだ記録されていません。アプリを起動し直すか、`flask content init` を実行してください。"), 503)
    return version


def _in_force_for_change() -> PackVersion:
    """The version in force, for an action that writes anyway: v1 is recorded first if missing."""
    version = store.current(_municipality())
    return version if version is not None else _record_first(rulebook().version)


def _record_first(ruleset_version: str = "") -> PackVersion:
    municipality = _municipality()
    version = store.ensure_first_version(municipality, PACKS_DIR / municipality, ruleset_version)
    db.session.commit()
    return version


def record_first_version(app: Flask) -> None:
    """At start-up (app.py), before the pack is loaded: the repository's files become v1 on a
    fresh install, so the rulebook is then loaded from v1. A database not upgraded yet (``flask
    db upgrade`` itself starts the app) is left alone: the next start records it."""
    with app.app_context():
        try:
            _record_first()
        except SQLAlchemyError as exc:
            db.session.rollback()
            log.info("first pack version not recorded at start: %s", type(exc).__name__)
        finally:
            db.session.remove()


def note_first_ruleset(app: Flask) -> None:
    """After the pack is loaded from v1 at start-up: v1's ruleset version, once (what history shows)."""
    source = app.extensions.get("pack_source")
    if source is None or source.number != 1:
        return
    with app.app_context():
        try:
            first = store.first_version(app.config["MUNICIPALITY"])
            if first is not None and not first.ruleset_version:
                first.ruleset_version = app.extensions["rulebook"].current.version
                db.session.commit()
        except SQLAlchemyError:
            db.session.rollback()
        finally:
            db.session.remove()


def new_draft(actor: str, base_number: int | None = None) -> PackVersion:
    base = store.by_number(_municipality(), base_number) if base_number else _in_force_for_change()
    draft = store.start_draft(_municipality(), actor, base)
    db.session.commit()
    return draft


def draft(draft_id: int, actor: str) -> PackVersion:
    return store.draft_of(_municipality(), draft_id, actor)


@contextmanager
def _all_or_nothing() -> Iterator[None]:
    """One change of a draft commits whole or not at all: a refusal half-way (a file that is not
    UTF-8, a failed check) rolls back every row it added, so no half-made draft is left behind."""
    try:
        yield
    except BaseException:
        db.session.rollback()
        raise
    db.session.commit()


def save_file(d: PackVersion, path: str, content: bytes) -> str:
    with _all_or_nothing():
        path = store.put_file(d, path, content)
    return path


def save_files(d: PackVersion, files: dict[str, bytes]) -> None:
    """Several files of a draft at once (a new form and its procedure's ``online: true``): all or none."""
    with _all_or_nothing():
        for path, content in files.items():
            store.put_file(d, path, content)


@dataclass
class DraftPack:
    """A draft's files written out and its pack loaded once, for one request of the form editor:
    the form check, the preview's form and the departments offered are all read from it."""
    municipality: str
    packs_dir: Path
    kb: KnowledgeBase | None  # None: the pack does not load (``problems`` say why)
    problems: list[str]


def draft_pack(d: PackVersion, changed: dict[str, bytes] | None = None) -> DraftPack:
    """The draft's pack, with ``changed`` in place of the draft's files (nothing is saved)."""
    packs_dir = store.materialise(_root(), d.municipality, {**store.files_of(d), **(changed or {})})
    try:
        return DraftPack(d.municipality, packs_dir, load_pack(d.municipality, packs_dir), [])
    except KnowledgeError as exc:
        return DraftPack(d.municipality, packs_dir, None, list(exc.problems))


def form_check(pack: DraftPack, form_path: str) -> tuple[bool, list[str]]:
    """The check of one online form as ``flask knowledge check`` makes it (intake.forms.load_forms
    against the draft's pack): (the pack loads, the problems of ``form_path``)."""
    if pack.kb is None:
        return False, pack.problems
    target = str(pack.packs_dir / pack.municipality / form_path)
    try:
        load_forms(pack.municipality, pack.packs_dir, kb=pack.kb)
    except KnowledgeError as exc:
        return True, [p for p in exc.problems if str(p).startswith(target + ":")]
    return True, []


def form_of(pack: DraftPack, form_id: str) -> tuple[Form | None, list[str]]:
    """One online form of a draft as residents would get it (its standard pages in place), for the
    preview; (None, its problems) when it does not pass the checks."""
    path = f"forms/{form_id}.yaml"
    loads, problems = form_check(pack, path)
    if not loads or problems or pack.kb is None:
        return None, problems
    doc = read_yaml(pack.packs_dir / pack.municipality / path)
    return build_form(FormFile.model_validate(doc.data), pack.kb, doc=doc), []


def departments_of(pack: DraftPack) -> dict[str, Any]:
    """The draft's departments by id (their names are pack Texts), for choosing which reviews a
    form; {} when the draft's pack does not load (its check says why)."""
    return {dep.id: dep.name for dep in pack.kb.departments.values()} if pack.kb is not None else {}


def remove_file(d: PackVersion, path: str) -> None:
    with _all_or_nothing():
        store.remove_file(d, path)


def discard(d: PackVersion) -> None:
    with _all_or_nothing():
        store.discard(d)


def check(version: PackVersion) -> PackCheck:
    """The checks of a version's files (remembered per content: a draft is checked once per edit)."""
    key = (version.municipality, version.digest)
    if key in _checked:
        _checked.move_to_end(key)
        return _checked[key]
    packs_dir = store.materialise(_root(), version.municipality, store.files_of(version))
    result = check_pack(version.municipality, packs_dir, current_app.extensions.get("pack_checks", ()))
    _checked[key] = result
    while len(_checked) > _CHECKED_KEEP:
        _checked.popitem(last=False)
    return result


def draft_rulebook(version: PackVersion) -> Rulebook | None:
    """The rulebook of a version, for the preview (None when the version does not load)."""
    return check(version).book


def impact(d: PackVersion, today: dt.date | None = None) -> tuple[int, list[Change], int, list[Change]]:
    """What the draft changes against the version in force: (scenarios compared, their changes,
    recent questionnaires compared, their changes)."""
    after = draft_rulebook(d)
    if after is None:
        return 0, [], 0, []
    before = rulebook()
    today = today or today_in_japan()
    scenarios = _scenario_requests(after)
    names = {name for name, _ in scenarios}
    scenarios += [(name, body) for name, body in _scenario_requests(before) if name not in names]  # removed ones too
    n_scen, scen_changes = compare(before, after, scenarios, today)
    samples = [(f"回答例 {row.id}", json.loads(row.request_json)) for row in db.session.scalars(
        select(GuideAnswerSample).order_by(GuideAnswerSample.id.desc()).limit(SAMPLE_KEEP))]
    n_samp, samp_changes = compare(before, after, samples, today)
    return n_scen, scen_changes, n_samp, samp_changes


def _scenario_requests(book: Rulebook) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for path in sorted((book.kb.directory / "scenarios").glob("*.yaml")):
        try:
            scenarios = yaml.safe_load(path.read_text(encoding="utf-8")) or []
        except yaml.YAMLError:
            continue  # the checks list the file's problem
        for scenario in scenarios if isinstance(scenarios, list) else []:
            if isinstance(scenario, dict) and isinstance(scenario.get("request"), dict):
                out.append((str(scenario.get("name", path.stem)), scenario["request"]))
    return out


def publish(d: PackVersion, actor: str, role: str, reason: str, effective_from: dt.datetime | None,
            confirmed: str | None = None) -> PackVersion:
    """The draft becomes the next version, at once or from ``effective_from``, if it passes every
    check; audited either way. ``confirmed``: the draft's digest as the curator's confirmation page
    showed it; a draft changed since is refused (the page is shown again)."""
    if confirmed is not None and confirmed != d.digest:
        raise store.VersionError("draft_changed", _l("確認の画面を開いたあとで下書きが変わりました。もう一度確かめてください。"), 409)
    result = check(d)
    if not result.ok:
        audit.record("content.publish", target=f"draft {d.id}", result="denied", actor=actor, role=role,
                     details={"problems": len(result.problems), "first": (result.problems or [""])[0][:300]})
        raise store.VersionError("pack_checks_failed", _l("確認で問題が見つかったため、公開できません。問題を直してください。"), 409)
    base = d.base_number
    version = store.mark_published(d, actor, reason, effective_from, result.book.version if result.book else "")
    db.session.commit()
    audit.record("content.publish", target=f"v{version.number}", actor=actor, role=role,
                 details={"reason": version.reason[:300], "base": base, "ruleset_version": version.ruleset_version,
                          "effective_from": store.aware(version.effective_from).isoformat()})
    _serve_now()
    return version


def _serve_now() -> None:
    """This process switches at once; the others within RULES_RELOAD_SECONDS (core/pack.py)."""
    current_app.extensions["rulebook"].refresh()


def import_repository(actor: str, role: str, reason: str) -> PackVersion | None:
    """The repository's files (a new release of the product's pack) as the next version, through
    the same checks: once versions live in the database, changed files on disk serve nobody
    until they are imported (``flask content import``)."""
    files = store.repository_files(PACKS_DIR / _municipality())
    current = _in_force_for_change()
    if store.digest_of(files) == current.digest:
        return None  # the version in force holds these files already
    d = store.start_draft(_municipality(), actor, current)
    try:  # one transaction: the draft exists only if it is published (publish commits)
        for path in set(file_list(d)) - set(files):
            store.remove_file(d, path)
        for path, data in files.items():
            store.put_file(d, path, data)
        db.session.flush()
        return publish(d, actor, role, reason, None)
    except store.VersionError as exc:
        exc.problems = tuple(check(d).problems) if exc.code == "pack_checks_failed" else ()
        db.session.rollback()
        raise
    except BaseException:
        db.session.rollback()
        raise


def rollback(number: int, actor: str, role: str, reason: str = "") -> PackVersion:
    """One click: a new version with the files of version ``number``, in force at once."""
    target = store.by_number(_municipality(), number)
    version = store.copy_as_rollback(target, actor, reason)
    db.session.commit()
    audit.record("content.rollback", target=f"v{version.number}", actor=actor, role=role,
                 details={"restores": number, "reason": version.reason[:300]})
    _serve_now()
    return version


def withdraw(number: int, actor: str, role: str) -> PackVersion:
    version = store.withdraw(store.by_number(_municipality(), number), actor)
    db.session.commit()
    audit.record("content.withdraw", target=f"v{number}", actor=actor, role=role)
    return version


def history() -> list[PackVersion]:
    return store.published(_municipality())


def changes_of(version: PackVersion) -> list[store.FileChange]:
    """A version's changes against the one it started from (a rollback: against the one before it)."""
    base_number = version.base_number if version.number is None or version.base_number else (version.number or 1) - 1
    if not base_number:
        return []
    base = store.by_number(version.municipality, base_number)
    return store.changes(store.files_of(base), store.files_of(version))


def file_list(version: PackVersion) -> list[str]:
    """The paths of a version's files (names only: no file's bytes are read)."""
    return sorted(store.shas_of(version))


def read_file(version: PackVersion, path: str) -> str | None:
    content = store.file_content(version, store.check_path(path))
    return content.decode("utf-8") if content is not None else None


SEARCH_LIMIT = 500  # lines found before the search stops
_SEARCH_PAGE = 16  # files read from the database at a time


def search(version: PackVersion, words: str) -> list[tuple[str, int, str]]:
    """(file, line, text) of every line holding ``words`` (case-insensitive), file names too.
    Files are read a few at a time, in name order, and reading stops once the limit is passed."""
    needle = words.strip().casefold()
    if not needle:
        return []
    found: list[tuple[str, int, str]] = []
    entries = sorted(store.shas_of(version).items())  # Python's order: the database's collation may differ
    for start in range(0, len(entries), _SEARCH_PAGE):
        page = entries[start:start + _SEARCH_PAGE]
        contents = store.blobs(sorted({sha for _path, sha in page}))
        for path, sha in page:
            if needle in path.casefold():
                found.append((path, 1, path))
            for n, line in enumerate(contents[sha].decode("utf-8", "replace").splitlines(), 1):
                if needle in line.casefold():
                    found.append((path, n, line.strip()[:200]))
            if len(found) > SEARCH_LIMIT:
                return found
    return found


PREVIEW_SECONDS = 3600


def preview_token(d: PackVersion) -> str:
    """A signed, short-lived token that shows the resident's pages with this draft (no personal
    data is in a draft; the token names the draft and its content, and expires in an hour)."""
    return URLSafeTimedSerializer(current_app.secret_key, salt="pack-preview").dumps([d.id, d.digest])


PREVIEW_REFUSALS = ("expired", "changed", "failing")


def _preview(token: str) -> tuple[str, PackVersion | None, Rulebook | None]:
    """("ok", draft, rulebook), or why not: "expired" (an old or forged link), "changed" (the draft
    changed since, or is gone), "failing" (the draft does not load: the check lists why)."""
    try:
        draft_id, digest = URLSafeTimedSerializer(current_app.secret_key, salt="pack-preview").loads(
            token, max_age=PREVIEW_SECONDS)
    except (BadSignature, ValueError, TypeError):
        return "expired", None, None
    version = db.session.get(PackVersion, draft_id) if isinstance(draft_id, int) else None
    if version is None or version.digest != digest or version.municipality != _municipality():
        return "changed", None, None
    book = draft_rulebook(version)
    return ("ok", version, book) if book is not None else ("failing", version, None)


def preview_rulebook(token: str) -> tuple[PackVersion, Rulebook] | None:
    """The draft and its rulebook a preview token names, while it is valid and the draft unchanged."""
    state, version, book = _preview(token)
    return (version, book) if state == "ok" and version is not None and book is not None else None


def preview_refusal(token: str) -> str | None:
    """Why a preview token shows nothing (one of PREVIEW_REFUSALS), or None when it shows the draft."""
    state, _version, _book = _preview(token)
    return None if state == "ok" else state

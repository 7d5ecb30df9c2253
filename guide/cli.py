"""flask knowledge check / flask rules check / flask rules test / flask rules graph / flask feedback purge. Other services check their own files of the
pack through ``app.extensions["pack_checks"]`` (filled by the app factory): the same functions a
curator's version must pass before it is published (staff/content.py), so the two never differ."""
from __future__ import annotations

import datetime as dt
import json
import sys

import click
from flask import current_app
from flask.cli import AppGroup

from core.usage import today
from guide import feedback
from knowledge.correction_phrases import load_phrases
from knowledge.loader import load_pack
from knowledge.yamlfile import KnowledgeError
from rules.check import check_rulebook, unreached_procedures
from rules.rule_graph import NEVER_FIRES, UNFIRED, UNREACHABLE, UNREAD, counts, event_graph, marked, unfired_rules
from rules.rule_graph_svg import Words, draw
from rules.ruleset import build_rulebook
from rules.scenarios import run_scenario_files, scenario_files, untranslated_reasons

knowledge_cli = AppGroup("knowledge", help="Curated content: procedures, counters, questions.")
rules_cli = AppGroup("rules", help="Rule files: static checks and scenario tests.")
feedback_cli = AppGroup("feedback", help="Residents' answers on result pages: housekeeping.")


@feedback_cli.command("purge")
@click.option("--days", type=click.IntRange(min=1), default=None,
              help="Keep this many days (default FEEDBACK_RETENTION_DAYS).")
def feedback_purge(days: int | None) -> None:
    """Delete answers older than FEEDBACK_RETENTION_DAYS (2 years). Run daily from cron."""
    keep = days or current_app.config["FEEDBACK_RETENTION_DAYS"]
    click.echo(f"deleted: {feedback.purge(today() - dt.timedelta(days=keep))} answer(s)")


def _load():
    try:
        return build_rulebook(load_pack(current_app.config["MUNICIPALITY"]))
    except KnowledgeError as exc:
        for problem in exc.problems:
            click.echo(problem, err=True)
        click.echo(f"{len(exc.problems)} problem(s) found.", err=True)
        sys.exit(1)


@knowledge_cli.command("check")
def knowledge_check() -> None:
    """Validate every knowledge file against its schema (errors name file, line and field)."""
    book = _load()
    kb = book.kb
    click.echo(f"OK: {len(kb.procedures)} procedures, {len(kb.departments)} departments, "
               f"{len(kb.counters)} counters, {len(kb.items)} things to bring, {len(kb.events)} life events, "
               f"{len(kb.questions)} questions (knowledge version {kb.version}).")
    unverified = sorted(p.id for p in kb.procedures.values() if not p.verified)
    if unverified:
        click.echo(f"{len(unverified)} procedure(s) marked verified: false: {', '.join(unverified)}")
    _check_phrases(kb)
    _check_services(kb)


@knowledge_cli.command("reasons")
@click.option("--language", "code", required=True, help="zh, ko, vi or pt: a language the guide's reasons are translated into")
def knowledge_reasons(code: str) -> None:
    """The reasons the pack's scenarios reach that translations/<language>.yaml does not translate
    yet, as lines to add under its ``reasons:`` (Japanese: English, for the translator)."""
    missing = untranslated_reasons(_load(), [code])[code]
    for ja, en in missing:
        click.echo(f"  {json.dumps(ja, ensure_ascii=False)}: {json.dumps(en, ensure_ascii=False)}  # to translate")
    click.echo(f"{len(missing)} reason(s) without a {code} translation.", err=True)
    sys.exit(1 if missing else 0)


def _check_services(kb) -> None:
    """Each service's own files of the pack (reservations.yaml, the forms): its problems, or OK."""
    checks = current_app.extensions.get("pack_checks", ())
    problems = [problem for check in checks for problem in check(kb)]
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        click.echo(f"{len(problems)} problem(s) found.", err=True)
        sys.exit(1)
    if checks:
        click.echo(f"OK: the services' files ({', '.join(check.__name__ for check in checks)}).")


def _check_phrases(kb) -> None:
    """correction_phrases.yaml (the 補正 starters) against the pack's departments."""
    try:
        phrases = load_phrases(kb.directory.name, kb.directory.parent, department_ids=set(kb.departments))
    except KnowledgeError as exc:
        for problem in exc.problems:
            click.echo(problem, err=True)
        click.echo(f"{len(exc.problems)} problem(s) found.", err=True)
        sys.exit(1)
    own = sum(len(items) for items in phrases.departments.values())
    click.echo(f"OK: 補正の定型文: {len(phrases.common)} common, {own} for {len(phrases.departments)} departments.")


@rules_cli.command("check")
@click.option("--strict", is_flag=True, help="Exit 1 on warnings too.")
def rules_check(strict: bool) -> None:
    """Unknown ids, unread questions, rules that never fire, procedures no rule reaches."""
    book = _load()
    report = check_rulebook(book)
    for line in report.errors:
        click.echo(f"error: {line}")
    for line in report.warnings:
        click.echo(f"warning: {line}")
    click.echo(f"{len(report.errors)} error(s), {len(report.warnings)} warning(s); "
               f"ruleset {book.version}.")
    if report.errors or (strict and report.warnings):
        sys.exit(1)


@rules_cli.command("test")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, dir_okay=False))
def rules_test(paths: tuple[str, ...]) -> None:
    """Run the scenario files next to the rules (or PATHS) and report rule coverage."""
    book = _load()
    files = list(paths) or scenario_files(book.kb)
    result = run_scenario_files(book, files)
    for failure in result.failures:
        click.echo(f"FAIL {failure}")
    click.echo(f"{result.passed}/{result.total} scenarios hold.")
    fired = len(result.fired_rules)
    total = sum(len(er.rules) for er in book.events.values())
    click.echo(f"Rule coverage: {fired}/{total} rules fired in some scenario.")
    for rid in result.unfired_rules:
        click.echo(f"  never fired: {rid}")
    if result.failures:
        sys.exit(1)


@rules_cli.command("graph")
@click.argument("event")
@click.option("--svg", "svg_path", type=click.Path(dir_okay=False, writable=True),
              help="Write the drawing (questions → rules → procedures) to this SVG file.")
def rules_graph(event: str, svg_path: str | None) -> None:
    """A life event's questions → rules → procedures: counts, unread questions, unreachable
    procedures (the staff console shows the same: /staff/rule-graph/)."""
    book = _load()
    if event not in book.events:
        raise click.BadParameter(f"unknown life event '{event}' (one of: {', '.join(book.events)})", param_hint="EVENT")
    graph = event_graph(book, event, unfired=unfired_rules(book))
    n = counts(graph)
    click.echo(f"{event}: {n['question']} questions, {n['rule']} rules, {n['procedure']} procedures; "
               f"{n['warnings']} marked.")
    for mark, ids in (("unread question", marked(graph, UNREAD)), ("unreachable procedure", marked(graph, UNREACHABLE)),
                      ("never fires", marked(graph, NEVER_FIRES)), ("no scenario fires", marked(graph, UNFIRED))):
        for item in ids:
            click.echo(f"  {mark}: {item}")
    for pid in unreached_procedures(book):
        click.echo(f"  no rule of any event reaches: {pid}")
    if svg_path:
        words = Words(title=f"{graph.graph['name']}の質問・ルール・手続きの関係図",
                      desc=f"質問{n['question']}件、ルール{n['rule']}件、手続き{n['procedure']}件。印の付いた項目は{n['warnings']}件です。")
        with open(svg_path, "w", encoding="utf-8") as f:
            f.write('<?xml version="1.0" encoding="UTF-8"?>\n' + draw(graph, words))
        click.echo(f"Wrote {svg_path}.")

"""The life-event guide: questionnaire, results and the guidance JSON API."""
from __future__ import annotations

from flask import Flask, current_app

from knowledge.loader import PACKS_DIR, load_pack
from rules.generation import RulebookHolder, files_fingerprint
from rules.ruleset import Rulebook, build_rulebook
from rules.scenarios import run_scenario_files, scenario_files
from rules.vocabulary import VOCABULARY_FILE


def rulebook() -> Rulebook:
    """The current generation; take it once per request and use that one throughout."""
    return current_app.extensions["rulebook"].maybe_reload()


def _scenario_failures(book: Rulebook) -> list[str]:
    return run_scenario_files(book, scenario_files(book.kb)).failures


def _audit_rules_change(outcome: str, book: Rulebook | None, problem: str | None) -> None:
    """A change of rules or knowledge is a change of configuration: audited, success or refusal."""
    from core import audit
    details = {"ruleset_version": book.version} if book else {"problem": (problem or "")[:500]}
    try:
        audit.record("rules.reload", target="knowledge", result="ok" if outcome == "ok" else "failed",
                     actor="system", role="reload", details=details)
    except audit.AuditError:
        pass  # the reload itself is logged; a resident's page must not fail for the audit write


def init_guide(app: Flask) -> None:
    municipality = app.config["MUNICIPALITY"]
    app.extensions["rulebook"] = RulebookHolder(
        lambda: build_rulebook(load_pack(municipality)),
        verify=_scenario_failures,
        fingerprint=lambda: files_fingerprint(PACKS_DIR / municipality, VOCABULARY_FILE.parent),
        interval=app.config["RULES_RELOAD_SECONDS"],
        on_change=_audit_rules_change,
    )

    @app.before_request
    def _record_generation() -> None:
        from guide.generations import record_generation
        record_generation(rulebook(), municipality)

    from core.security import csrf
    from guide.api import bp as api_bp
    from guide.cli import register_cli
    from guide.views import bp as views_bp
    csrf.exempt(api_bp)  # a JSON machine endpoint: no cookies, no forms, nothing to forge
    app.register_blueprint(views_bp)
    app.register_blueprint(api_bp)
    register_cli(app)

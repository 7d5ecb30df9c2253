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


def init_guide(app: Flask) -> None:
    municipality = app.config["MUNICIPALITY"]
    app.extensions["rulebook"] = RulebookHolder(
        lambda: build_rulebook(load_pack(municipality)),
        verify=_scenario_failures,
        fingerprint=lambda: files_fingerprint(PACKS_DIR / municipality, VOCABULARY_FILE.parent),
        interval=app.config["RULES_RELOAD_SECONDS"],
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

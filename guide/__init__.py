"""The life-event guide: questionnaire, results and the guidance JSON API."""
from __future__ import annotations

from flask import Flask, current_app

from knowledge.loader import load_pack
from rules.generation import RulebookHolder
from rules.ruleset import Rulebook, build_rulebook


def rulebook() -> Rulebook:
    """The current generation; take it once per request and use that one throughout."""
    return current_app.extensions["rulebook"].current


def init_guide(app: Flask) -> None:
    municipality = app.config["MUNICIPALITY"]
    app.extensions["rulebook"] = RulebookHolder(lambda: build_rulebook(load_pack(municipality)))

    from guide.api import bp as api_bp
    from guide.cli import register_cli
    from guide.views import bp as views_bp

    app.register_blueprint(views_bp)
    app.register_blueprint(api_bp)
    register_cli(app)

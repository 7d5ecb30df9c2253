"""Shared fixtures: one app per test session on a fresh SQLite database (upgraded by Alembic)."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from knowledge.loader import load_pack
from rules.ruleset import build_rulebook

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "domain"


@pytest.fixture(scope="session")
def rulebook():
    return build_rulebook(load_pack("kakogawa"))


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    from flask_migrate import upgrade

    from app import create_app

    instance = tmp_path_factory.mktemp("instance")
    application = create_app({
        "TESTING": True,
        "DATABASE_URL": f"sqlite:///{instance / 'test.db'}",
        "SECRET_KEY": "test-only-not-secret",
        "INSTANCE_PATH": str(instance),
    })
    with application.app_context():
        upgrade()
    return application


@pytest.fixture
def client(app):
    return app.test_client()


def shared_scenarios() -> list[dict]:
    path = SHARED / "scenarios.yaml"
    if not path.exists():
        pytest.skip(f"{path} is not here (shared/ sits beside the project root)")
    return yaml.safe_load(path.read_text(encoding="utf-8"))

"""Typed settings (core/settings.py): every variable in one class, read from the environment,
checked all at once; a production start refuses unsafe settings; docs/configuration.md is
generated from the class; the code reads no config key the class does not declare."""
from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest

from core import settings as settings_module
from core.config import FLASK_SETTINGS, load_config
from core.settings import Settings, SettingsError

ROOT = Path(__file__).resolve().parent.parent.parent
KEY = base64.b64encode(b"k" * 32).decode()


@pytest.fixture
def safe(tmp_path) -> dict:
    """Settings a production start accepts."""
    return {"ENV": "production", "INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "s" * 40,
            "PAYMENT_PROVIDER": "acme", "DATA_KEYS": f"k1:{KEY}", "PUBLIC_BASE_URL": "https://guide.example.lg.jp"}


def refusal(config: dict) -> str:
    with pytest.raises(SettingsError) as exc:
        load_config(config)
    return str(exc.value)


def test_safe_production_settings_start(safe):
    config = load_config(safe)
    assert config["SECRET_KEY"] == "s" * 40 and config["PUBLIC_BASE_URL"] == "https://guide.example.lg.jp"


@pytest.mark.parametrize(("change", "problem"), [
    ({"SECRET_KEY": ""}, "SECRET_KEY is not set"),
    ({"SECRET_KEY": "short"}, "SECRET_KEY is shorter than 32 characters"),
    ({"PAYMENT_PROVIDER": "sandbox", "SANDBOX_WEBHOOK_SECRET": "w" * 40}, "PAYMENT_PROVIDER is the sandbox"),
    ({"PAYMENT_PROVIDER": "sandbox"}, "SANDBOX_WEBHOOK_SECRET is not set: the webhook secret would be derived"),
    ({"DATA_KEYS": ""}, "DATA_KEY_FILE is the development key file"),
    ({"PUBLIC_BASE_URL": ""}, "PUBLIC_BASE_URL is not set"),
])
def test_production_refuses_each_unsafe_setting(safe, change, problem):
    message = refusal({**safe, **change})
    assert message.startswith("refusing to start in production with unsafe settings:")
    assert problem in message


def test_a_key_file_outside_the_instance_folder_is_accepted(safe, tmp_path):
    outside = tmp_path.parent / "keys" / "data-keys"
    load_config({**safe, "DATA_KEYS": "", "DATA_KEY_FILE": str(outside)})


def test_every_problem_is_listed_at_once(tmp_path):
    message = refusal({"FORCE_HTTPS": True, "INSTANCE_PATH": str(tmp_path)})
    for problem in ("SECRET_KEY", "PAYMENT_PROVIDER", "SANDBOX_WEBHOOK_SECRET", "DATA_KEYS", "PUBLIC_BASE_URL"):
        assert f"  - {problem}" in message


def test_force_https_is_the_production_signal_unless_env_says_development(tmp_path):
    assert "PUBLIC_BASE_URL" in refusal({"FORCE_HTTPS": True, "INSTANCE_PATH": str(tmp_path)})
    assert "PUBLIC_BASE_URL" in refusal({"ENV": "production", "INSTANCE_PATH": str(tmp_path)})
    assert load_config({"FORCE_HTTPS": True, "ENV": "development", "INSTANCE_PATH": str(tmp_path)})["FORCE_HTTPS"]
    assert not load_config({"INSTANCE_PATH": str(tmp_path)})["FORCE_HTTPS"]  # development by default


def test_create_app_refuses_unsafe_production_settings(tmp_path, monkeypatch):
    from app import create_app

    monkeypatch.setenv("ENV", "production")
    with pytest.raises(SettingsError, match="PAYMENT_PROVIDER is the sandbox"):
        create_app({"DATABASE_URL": "sqlite://", "INSTANCE_PATH": str(tmp_path)})


def test_variables_come_from_the_environment_typed(tmp_path, monkeypatch):
    monkeypatch.setenv("SMTP_PORT", "2525")
    monkeypatch.setenv("FORCE_HTTPS", "1")
    monkeypatch.setenv("ENV", "development")
    monkeypatch.setenv("RULES_RELOAD_SECONDS", "")  # empty counts as unset
    config = load_config({"INSTANCE_PATH": str(tmp_path), "MUNICIPALITY": "minato"})
    assert config["SMTP_PORT"] == 2525 and config["FORCE_HTTPS"] is True and config["RULES_RELOAD_SECONDS"] == 10
    assert config["DATABASE_URL"] == f"sqlite:///{tmp_path / 'minato.db'}"  # each pack its own file
    assert config["AUDIT_ANCHOR_PATH"] == str(tmp_path / "audit-anchor.log")
    assert config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")


def test_overrides_win_over_the_environment_and_other_keys_pass_through(tmp_path, monkeypatch):
    monkeypatch.setenv("SMTP_PORT", "2525")
    config = load_config({"INSTANCE_PATH": tmp_path, "SMTP_PORT": 587, "TESTING": True})
    assert config["SMTP_PORT"] == 587 and config["TESTING"] is True and config["INSTANCE_PATH"] == str(tmp_path)


def test_invalid_values_are_all_named_at_once(tmp_path, monkeypatch):
    monkeypatch.setenv("SMTP_PORT", "twenty-five")
    monkeypatch.setenv("STAFF_NETWORKS", "10.0.0.0/8,not-a-network")
    monkeypatch.setenv("PUBLIC_BASE_URL", "guide.example.lg.jp")
    monkeypatch.setenv("GUIDE_CACHE_SIZE", "-1")
    with pytest.raises(SettingsError) as exc:
        load_config({"INSTANCE_PATH": str(tmp_path)})
    message = str(exc.value)
    assert message.startswith("invalid settings:")
    for name in ("SMTP_PORT", "STAFF_NETWORKS", "PUBLIC_BASE_URL", "GUIDE_CACHE_SIZE"):
        assert f"  - {name}:" in message


def test_a_development_start_generates_its_secret_key_once(tmp_path):
    first = load_config({"INSTANCE_PATH": str(tmp_path)})["SECRET_KEY"]
    assert len(first) == 64 and load_config({"INSTANCE_PATH": str(tmp_path)})["SECRET_KEY"] == first


def test_docs_configuration_is_generated_from_the_class():
    docs = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert docs == settings_module.markdown(), "run: python -m core.settings > docs/configuration.md"
    for name in Settings.model_fields:
        assert f"| `{name}` |" in docs


# keys Flask, its extensions or our own start-up code set (not the environment's)
FRAMEWORK_KEYS = {"TESTING", "SQLALCHEMY_DATABASE_URI", "RATELIMIT_STORAGE_URI", "WTF_CSRF_TIME_LIMIT",
                  "SESSION_COOKIE_SECURE", "PREFERRED_URL_SCHEME", "SERVER_NAME", "WTF_CSRF_ENABLED",
                  "ALERTS_REDIS_PREFIX",  # tests keep their alert counters apart
                  "IS_PRODUCTION",  # derived by core.config from the settings (APP_ENV), never set alone
                  "RATELIMIT_STORAGE_OPTIONS", "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"}  # set by core.security


def test_the_code_reads_no_config_key_the_settings_do_not_declare():
    pattern = re.compile(r"""config(?:\[|\.get\(|\.setdefault\()\s*["']([A-Z][A-Z0-9_]+)["']""")
    known = set(Settings.model_fields) | set(FLASK_SETTINGS) | FRAMEWORK_KEYS
    unknown = {}
    for package in ("app.py", "core", "guide", "intake", "reservations", "staff", "rules", "knowledge"):
        for path in sorted((ROOT / package).rglob("*.py")) if (ROOT / package).is_dir() else [ROOT / package]:
            for name in pattern.findall(path.read_text(encoding="utf-8")):
                if name not in known:
                    unknown.setdefault(name, str(path.relative_to(ROOT)))
    assert unknown == {}, "declare these in core/settings.py"


def test_an_unknown_payment_provider_is_refused_at_start(tmp_path):
    """PAYMENT_PROVIDER names one of the providers intake/payments registers; a typo is refused
    when the app starts (not at the first checkout), with the name and the known ones."""
    from app import create_app
    from intake.payments.service import FACTORIES
    with pytest.raises(SettingsError) as exc:
        create_app({"DATABASE_URL": "sqlite://", "INSTANCE_PATH": str(tmp_path), "PAYMENT_PROVIDER": "sandbx"})
    assert "PAYMENT_PROVIDER 'sandbx' is not a registered payment provider" in str(exc.value)
    assert "sandbox" in str(exc.value)
    assert "sandbox" in FACTORIES
    app = create_app({"DATABASE_URL": "sqlite://", "INSTANCE_PATH": str(tmp_path), "PAYMENT_PROVIDER": "sandbox"})
    assert app.config["PAYMENT_PROVIDER"] == "sandbox"

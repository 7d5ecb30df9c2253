"""The online forms served follow the pack's generation, not the rules' version: a form changed on
the console's form editor and published leaves the rules (and so ``rulebook().version``) as they
were, and the residents' pages, the receipt and the staff console must all read the new form
(docs/walks/sodai_gomi.md: the staff detail page showed the 粗大ごみ application against the form of
before the publish, every new field missing)."""
from __future__ import annotations

import shutil
from pathlib import Path
from types import SimpleNamespace
from unittest import mock

from flask import Flask

from intake import api as intake_api
from intake import views as intake_views
from intake.forms_current import current_forms
from intake.payments import receipt
from knowledge.loader import PACKS_DIR, load_pack
from staff.applications_common import form_for, forms_of_generation

SAME_RULES = "0123456789abcdef"  # the rules' version: the same before and after the publish


def _generation(tmp_path: Path, name: str, label: str | None = None):
    packs = tmp_path / name
    shutil.copytree(PACKS_DIR / "kakogawa", packs / "kakogawa")
    if label is not None:
        path = packs / "kakogawa" / "forms" / "sodai_gomi.yaml"
        path.write_text(path.read_text(encoding="utf-8").replace("label: {ja: 品名, en: Item}",
                                                                  f"label: {{ja: {label}, en: Item}}", 1),
                        encoding="utf-8")
    return SimpleNamespace(kb=load_pack("kakogawa", packs), version=SAME_RULES)


def _label(form) -> str:
    return form.fields["items"].fields[0].label.get("ja") if "items" in form.fields else ""


def test_a_published_form_change_is_read_though_the_rules_version_is_the_same(tmp_path):
    before = _generation(tmp_path, "v1")
    after = _generation(tmp_path, "v2", label="品名（ソファなど）")
    book = {"now": before}
    app = Flask(__name__)
    app.config["MUNICIPALITY"] = "kakogawa"
    app.extensions["rulebook"] = mock.Mock(maybe_reload=lambda: book["now"])
    with app.test_request_context():
        assert [_label(form) for form in _every_reader()] == ["品名"] * 6  # each read (and kept) the form
        book["now"] = after  # published: a new generation, the rules unchanged
        assert [_label(form) for form in _every_reader()] == ["品名（ソファなど）"] * 6


def _every_reader() -> list:
    """The residents' pages, the form-schema API, the receipt and the staff console."""
    return [current_forms()["sodai_gomi"], intake_views._form("sodai_gomi"), intake_api.current_form("sodai_gomi"),
            receipt._form("sodai_gomi"), form_for("sodai_gomi"), forms_of_generation()["sodai_gomi"]]

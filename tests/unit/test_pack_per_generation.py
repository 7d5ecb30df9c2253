"""core.pack.PerGeneration: what a service reads from the pack (reservations' catalogue and counter
forms) is read once per generation of the pack, again when the generation or its stamp changes."""
from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from unittest import mock

from flask import Flask

from core.pack import PerGeneration


def _app(kb_holder: dict) -> Flask:
    app = Flask(__name__)
    app.config["MUNICIPALITY"] = "kakogawa"
    app.extensions["rulebook"] = mock.Mock(maybe_reload=lambda: SimpleNamespace(kb=kb_holder["kb"]))
    return app


def _kb(version: str) -> SimpleNamespace:
    return SimpleNamespace(directory=Path("/packs/kakogawa"), version=version)


def test_read_once_per_generation_and_again_when_it_changes():
    loads: list[str] = []
    cached = PerGeneration(lambda kb: loads.append(kb.version) or {"version": kb.version})
    holder = {"kb": _kb("v1")}
    with _app(holder).app_context():
        first = cached.get()
        assert cached.get() is first and loads == ["v1"]
        holder["kb"] = _kb("v1")  # a new generation, same files: read again (its kb is another object)
        assert cached.get() is not first and loads == ["v1", "v1"]
        holder["kb"] = _kb("v2")
        assert cached.get() == {"version": "v2"} and loads == ["v1", "v1", "v2"]


def test_a_changed_stamp_reads_again_within_a_generation():
    stamps, loads = iter([1, 1, 2]), []
    cached = PerGeneration(lambda kb: loads.append(1) or object(), stamp=lambda directory: next(stamps))
    with _app({"kb": _kb("v1")}).app_context():
        a, b, c = cached.get(), cached.get(), cached.get()
    assert a is b and c is not a and len(loads) == 2


def test_counter_forms_read_no_file_on_a_cached_call(rulebook):
    """The visit done/manage/counter pages call forms() on every request: a cached call globs and
    stats nothing."""
    from reservations import counter_forms_current

    app = _app({"kb": rulebook.kb})
    with app.app_context():
        first = counter_forms_current.forms()
        assert first  # the kakogawa pack has counter forms
        with mock.patch.object(Path, "glob", side_effect=AssertionError("globbed")), \
                mock.patch.object(Path, "stat", side_effect=AssertionError("stat")):
            assert counter_forms_current.forms() is first

"""An app made and dropped is freed, with its rulebook and the rulebook's native rulesets.

A full test run makes a few hundred apps in each worker; when each kept about 30 MB (an exit hook
holding the app, the evaluation memos holding the rulebook, durable keeping a dropped ruleset's
session state), the workers grew past 20 GB and the suite was killed. A worker that publishes
pack versions, or a console that checks drafts, would grow the same way."""
import gc
import weakref


def _serve_a_result_and_drop(tmp_path):
    from app import create_app
    from core.db import db
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'l.db'}", "SECRET_KEY": "x",
                      "INSTANCE_PATH": str(tmp_path), "MUNICIPALITY": "kakogawa"})
    with app.app_context():
        db.create_all()
    page = app.test_client().get("/guide/moving_in/result?date=2026-04-01&n=1&m0.age=35")
    assert page.status_code == 200 and "転入届" in page.get_data(as_text=True)
    book = app.extensions["rulebook"].current
    engines = [weakref.ref(rules.engine) for rules in book.events.values()]
    refs = weakref.ref(app), weakref.ref(book)
    with app.app_context():
        db.engine.dispose()
    return refs, engines


def test_an_app_made_and_dropped_is_freed_with_its_rulebook(tmp_path):
    (app, book), engines = _serve_a_result_and_drop(tmp_path)
    gc.collect()
    assert app() is None, "something still holds the app"
    assert book() is None, "something still holds the rulebook"
    assert all(engine() is None for engine in engines)

"""`flask feedback purge`: residents' answers on result pages older than FEEDBACK_RETENTION_DAYS
(2 years by default) are deleted; newer ones stay."""
import datetime as dt

from sqlalchemy import select

from core.db import db
from guide import feedback
from guide.feedback import GuideFeedback


def _days(app) -> list[dt.date]:
    with app.app_context():
        return sorted(db.session.scalars(select(GuideFeedback.day)))


def test_purge_deletes_answers_past_their_retention(app):
    today = feedback.today()
    old, kept = today - dt.timedelta(days=731), today - dt.timedelta(days=730)
    with app.app_context():
        for day in (old, kept, today):
            feedback.record(event="death", version="v", listed=["shibo_todoke"], language="ja", helpful=True, day=day)
    assert app.config["FEEDBACK_RETENTION_DAYS"] == 730
    result = app.test_cli_runner().invoke(args=["feedback", "purge"])
    assert result.exit_code == 0, result.output
    assert "deleted: 1 answer(s)" in result.output
    assert _days(app) == [kept, today]
    result = app.test_cli_runner().invoke(args=["feedback", "purge", "--days", "1"])
    assert "deleted: 1 answer(s)" in result.output and _days(app) == [today]
    assert app.test_cli_runner().invoke(args=["feedback", "purge", "--days", "0"]).exit_code != 0

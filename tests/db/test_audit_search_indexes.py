"""The audit search's filters (0020) and the staff inbox (0021) can use an index on PostgreSQL: with a million
records a sequential scan of each count took 0.4–0.7 s on a loaded 2-core machine
(docs/performance.md). The statements are the view's own (staff/audit_views.filtered), and the
planner is told to avoid sequential scans so that a tiny table still shows which index it could use.
(Before 0020, ``LIKE`` could only read a whole btree index: no Index Cond.)"""
from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from tests.conftest import scratch_database


@pytest.fixture(scope="module")
def pg_app(tmp_path_factory):
    from flask_migrate import upgrade

    from app import create_app
    directory = tmp_path_factory.mktemp("audit-indexes")
    with scratch_database("postgresql", directory) as url:
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": "x", "INSTANCE_PATH": str(directory)})
        with app.app_context():
            upgrade()
            from core.db import db
            with db.engine.begin() as conn:  # enough rows that an index is worth reading (not a chain)
                conn.execute(text(
                    "INSERT INTO audit_record (id, at, actor, role, action, target, result, ip, request_id, details, "
                    "prev_hash, hash) SELECT g, now(), 'a', 'admin', 'staff.view', 'application:' || md5(g::text), "
                    "'ok', '10.2.0.' || (g % 250), '', '{}', '', '' FROM generate_series(1, 5000) g"))
                conn.execute(text("ANALYZE audit_record"))
        yield app
        with app.app_context():
            from core.db import db
            db.engine.dispose()


@pytest.mark.parametrize("args, index", [
    ({"target": "application:0a"}, "ix_audit_record_target_trgm"),
    ({"ip": "10.1.*"}, "ix_audit_record_ip"),
    ({"action": "login*"}, "ix_audit_record_action"),
    ({"action": "staff.view"}, "ix_audit_record_action"),
    ({"result": "failed"}, "ix_audit_record_result"),
])
def test_each_filter_of_the_audit_search_can_use_an_index(pg_app, args, index):
    from core.audit import AuditRecord
    from core.db import db
    from staff.audit_views import filtered, read_filters
    with pg_app.app_context():
        f = read_filters(args)
        assert not f.errors
        stmt = filtered(f, select(func.count()).select_from(AuditRecord))
        compiled = stmt.compile(db.engine, compile_kwargs={"render_postcompile": True})
        with db.engine.connect() as conn:
            conn.execute(text("SET enable_seqscan = off"))
            plan = "\n".join(row[0] for row in conn.exec_driver_sql(f"EXPLAIN {compiled}", compiled.params))
        # the index narrows the search (an Index Cond), not merely read whole instead of the table
        assert index in plan and "Index Cond" in plan, plan


def test_the_inbox_open_statuses_are_read_through_an_index(pg_app):
    """The inbox's count and the clerks' workload filter on the open statuses (0021): with 100,000
    applications a sequential scan took 0.44 s a query."""
    from core.db import db
    from intake import workflow
    from intake.models import Application
    from staff.applications_inbox import scoped
    with pg_app.app_context():
        stmt = scoped(select(func.count(Application.id)), None).where(
            Application.status.in_(sorted(workflow.OPEN_FOR_STAFF)))
        compiled = stmt.compile(db.engine, compile_kwargs={"render_postcompile": True})
        with db.engine.connect() as conn:
            conn.execute(text("SET enable_seqscan = off"))
            plan = "\n".join(row[0] for row in conn.exec_driver_sql(f"EXPLAIN {compiled}", compiled.params))
        assert "ix_application_status_submitted_at" in plan and "Index Cond" in plan, plan

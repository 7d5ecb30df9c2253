"""Services own their invariants: a page or an endpoint (every module that makes a Blueprint or
puts a route on one, whatever its name, and every *views*.py or api*.py) parses the request,
calls the service, renders. It never ends a transaction (``commit``,
``rollback``), never adds or deletes rows itself, and never writes the audit record of a change:
the service function that makes the change does, so no caller can skip either.

One kind of audit record stays in the views, by its action name: the record of a *read* (who
looked at, listed, printed or exported what). The view is where the reading happens; no change
is made, so there is no service transaction for the record to belong to."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("core", "guide", "intake", "reservations", "staff")
TRANSACTION = {"commit", "rollback", "add", "add_all", "delete", "begin_nested", "flush"}
# the last part of a read's action name (staff.view, application.export, reservation.list,
# backoffice.statuses: the back office reading the list of statuses …)
READS = {"view", "list", "export", "print", "download", "postal", "issue_list", "statuses"}
ROUTES = {"route", "get", "post", "put", "patch", "delete"}  # @bp.get(…), @bp.route(…)
# module → (most forbidden calls, why they stay)
ALLOWED = {
    "core/monitoring.py": (2, "the metrics scrape (a helper of /metrics, beside the monitoring service) ends a "
                              "failed read — the gauges' counts, the audit chain check — with a rollback; "
                              "nothing was changed"),
}


def _endpoints(tree: ast.AST) -> bool:
    """Makes a Blueprint (``Blueprint(…)``), or a function of it has a route decorator."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _dotted(node.func).split(".")[-1] == "Blueprint":
            return True
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and any(
                isinstance(d, ast.Call) and isinstance(d.func, ast.Attribute) and d.func.attr in ROUTES
                for d in node.decorator_list):
            return True
    return False


def _thin_modules() -> list[Path]:
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "views" in path.stem or path.stem.startswith("api") or \
                    _endpoints(ast.parse(path.read_text(encoding="utf-8"))):
                found.append(path)
    return found


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return "?"


def problems(source: str) -> list[str]:
    """Each forbidden call in ``source``, as "line: what"."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        name = _dotted(node.func)
        if node.func.attr in TRANSACTION and name.split(".")[-2:-1] == ["session"]:
            found.append(f"{node.lineno}: {name}()")
        elif name in ("audit.record", "record_audit", "_audit") or name.endswith(".audit.record"):
            action = node.args[0].value if node.args and isinstance(node.args[0], ast.Constant) else None
            if not isinstance(action, str) or action.rsplit(".", 1)[-1] not in READS:
                found.append(f"{node.lineno}: {name}({action!r})")
    return found


def test_the_scan_sees_what_it_forbids():
    source = ("db.session.commit()\nself.session.rollback()\ndb.session.add(x)\n"
              "audit.record('staff.account_created')\naudit.record(action)\n"
              "audit.record('staff.view')\naudit.record('application.export')\ndb.session.get(A, 1)\n")
    assert [p.split(":")[0] for p in problems(source)] == ["1", "2", "3", "4", "5"]


@pytest.mark.parametrize("path", _thin_modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_views_and_apis_leave_transactions_and_audit_records_to_the_services(path: Path):
    found = problems(path.read_text(encoding="utf-8"))
    most, _why = ALLOWED.get(path.relative_to(ROOT).as_posix(), (0, ""))
    assert len(found) <= most, (
        f"{path.relative_to(ROOT)}: move these into the service function that makes the change: {found}")


def test_the_allowances_are_not_stale():
    """An allowance above what its module holds would let a new commit in unseen: lower it."""
    assert {name: len(problems((ROOT / name).read_text(encoding="utf-8"))) for name in ALLOWED} == \
        {name: most for name, (most, _why) in ALLOWED.items()}


def test_the_views_are_found():
    names = {str(p.relative_to(ROOT)) for p in _thin_modules()}
    assert {"staff/views.py", "staff/accounts_views.py", "intake/views.py", "intake/api.py",
            "reservations/views.py", "reservations/api.py", "intake/payments/views.py",
            # found by their Blueprint or their routes, not by their names
            "intake/backoffice.py", "core/monitoring.py", "guide/procedure_pages.py", "staff/content_preview.py",
            "staff/applications_common.py"} <= names


def test_a_blueprint_or_a_route_makes_an_endpoint_module():
    assert _endpoints(ast.parse('bp = Blueprint("x", __name__)\n'))
    assert _endpoints(ast.parse('@bp.post("/a")\ndef a():\n    pass\n'))
    assert _endpoints(ast.parse('@flask.Blueprint("x", __name__).route("/")\ndef a():\n    pass\n'))
    assert not _endpoints(ast.parse('@lru_cache()\ndef a():\n    return db.session.get(A, 1)\n'))

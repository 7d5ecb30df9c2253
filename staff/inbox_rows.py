"""What the inbox shows beyond ``applications_common.list_row``: the applicant's name (decrypted
only for the rows of the page), the open days since 受付 and the 期限 marker, and each clerk's
workload. Plain Python (no Flask): the views pass in the user, the forms and today's date."""
from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from core import policy
from core.db import db
from core.staff_models import StaffUser
from intake import applications, processing_time, workflow
from intake.models import Application


def standard_days(forms: Mapping[str, Any]) -> dict[str, int | None]:
    """procedure id → 標準処理期間 (open days) from the knowledge pack's form files."""
    return {pid: form.definition.review.standard_processing_days for pid, form in forms.items()}


def applicant_name(app: Application) -> str:
    """「姓 名」 of the applicant as typed (the signer's name; the page decrypts only its rows)."""
    values = applications.values(app)
    parts = [values.get("applicant_family_name"), values.get("applicant_given_name")]
    return " ".join(p.strip() for p in parts if isinstance(p, str) and p.strip())


def row_extras(app: Application, standard: Mapping[str, int | None], today: dt.date) -> dict[str, Any]:
    return {"name": applicant_name(app),
            "timing": processing_time.timing(app.status, app.submitted_at, standard.get(app.procedure_id), today)}


def colleagues(departments: list[str] | None) -> list[StaffUser]:
    """Active department staff who share one of ``departments`` (None: every department), by name."""
    people = db.session.scalars(select(StaffUser).where(StaffUser.active.is_(True),
                                                       StaffUser.role == policy.DEPARTMENT)).all()
    if departments is not None:
        people = [u for u in people if set(u.department_ids) & set(departments)]
    return sorted(people, key=lambda u: (u.display_name, u.login_id))


@dataclass
class Load:
    """One clerk's open applications: per status, and how many are past / near the deadline."""
    user: StaffUser | None  # None: nobody assigned yet
    by_status: Counter = field(default_factory=Counter)
    overdue: int = 0
    due_soon: int = 0

    @property
    def total(self) -> int:
        return sum(self.by_status.values())


def workload(rows: Iterable[tuple], people: list[StaffUser], standard: Mapping[str, int | None],
             today: dt.date) -> list[Load]:
    """``rows``: (assignee_id, status, procedure_id, day submitted in Japan, count) of the open
    applications in the user's scope, counted by the database (staff/applications_list_views._workload): a few hundred
    groups instead of thousands of applications. One line per colleague (also with nothing
    assigned), plus 担当者なし at the end."""
    loads: dict[int | None, Load] = {u.id: Load(u) for u in people}
    for assignee_id, status, procedure_id, submitted_on, count in rows:
        load = loads.get(assignee_id)
        if load is None:
            load = loads[assignee_id] = Load(None if assignee_id is None else _someone(assignee_id))
        load.by_status[status] += count
        marker = processing_time.timing_from_day(status, _as_date(submitted_on), standard.get(procedure_id),
                                                 today).marker
        load.overdue += count if marker == processing_time.OVERDUE else 0
        load.due_soon += count if marker == processing_time.DUE_SOON_MARK else 0
    named = [v for k, v in loads.items() if k is not None]
    return named + ([loads[None]] if None in loads else [])


def _as_date(value: str | None) -> dt.date | None:
    return None if value is None else dt.date.fromisoformat(value)  # japan_time.sql_day's text


def _someone(user_id: int) -> StaffUser | None:
    return db.session.get(StaffUser, user_id)


WORKLOAD_STATUSES = tuple(s for s in workflow.STATUSES if s in workflow.OPEN_FOR_STAFF)

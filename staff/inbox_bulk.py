"""Bulk actions of the inbox: assign (to me or a colleague), 発行済・郵送済, 郵送済 (the day it was
posted, intake.dispatch), 完了 — for several
applications at once, each through the same intake service as the one-application page
(``applications.change_status``: allowed transitions, the signature re-check before 承認,
the second approver, history, the resident's e-mail). Each application is done in its own
savepoint: it is either fully done or not touched, and the others go on. Plain Python (no
Flask): the view passes in the user; :func:`carry_out` commits and writes the audit records of
what was done, so no view can forget either. Each outcome's
words are a ``core.words.Message``, read by the page in its own language."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from core import audit, policy
from core.db import db
from core.staff_models import StaffUser
from core.words import N_, Message
from intake import applications, dispatch, workflow
from intake.applications import ApplicationError
from intake.models import Application

ASSIGN_ME, ASSIGN, ISSUE, POSTED, COMPLETE = "assign_me", "assign", "issued", "posted", "completed"
ACTIONS = (ASSIGN_ME, ASSIGN, ISSUE, POSTED, COMPLETE)
TO_STATUS = {ISSUE: workflow.ISSUED, COMPLETE: workflow.COMPLETED}
MAX_BATCH = 100


@dataclass(frozen=True)
class Outcome:
    number: str
    done: bool
    message: Message  # what was done, or why not: ``message.text(locale)``
    before: str | None = None
    after: str | None = None


def may_be_assigned(user: StaffUser, app: Application, me: StaffUser) -> bool:
    """As on the one-application page: active department staff of its department, or me."""
    return user.id == me.id or (user.active and user.role == policy.DEPARTMENT and app.department_id in user.department_ids)


def run(numbers: Iterable[str], action: str, *, me: StaffUser, departments: list[str] | None,
        assignee: StaffUser | None = None, second_approver: Callable[[str], bool] = lambda pid: False,
        ) -> list[Outcome]:
    """Do ``action`` for each receipt number (in the order given, each once). The caller commits."""
    actor = f"staff:{me.login_id}"
    target = me if action == ASSIGN_ME else assignee
    out: list[Outcome] = []
    for number in dict.fromkeys(numbers):
        app = db.session.scalar(select(Application).where(Application.receipt_number == number).with_for_update())
        if (app is None or app.status in workflow.BEFORE_SUBMISSION
                or (departments is not None and app.department_id not in departments)):
            out.append(Outcome(number, False, Message(N_("この申請は見つかりません（担当課の申請ではありません）。"))))
            continue
        before = app.status
        savepoint = db.session.begin_nested()
        try:
            if action in (ASSIGN_ME, ASSIGN):
                if target is None or not may_be_assigned(target, app, me):
                    raise ApplicationError("assignee", _l("この人は、この申請の担当者にできません。"))
                if app.status in workflow.CLOSED:
                    raise ApplicationError("closed", _l("終わった申請の担当者は変えられません。"))
                if app.assignee_id == target.id:
                    savepoint.rollback()
                    out.append(Outcome(number, True, Message(N_("すでに%(name)sさんの担当です。"),
                                                             name=target.display_name), before, before))
                    continue
                app.assignee_id = target.id
                applications.record_event(app, "assign", actor, note=target.login_id)
                applications.touch(app)
                message = Message(N_("%(name)sさんを担当者にしました。"), name=target.display_name)
            elif action == POSTED:
                dispatch.record_dispatch(app, actor)
                message = Message(N_("郵送済にしました。申請者にメールでお知らせします。"))
            else:
                to = TO_STATUS[action]
                applications.change_status(app, to, who=workflow.STAFF, actor=actor, staff_id=me.id,
                                           needs_second_approver=second_approver(app.procedure_id))
                message = Message(N_("「%(status)s」にしました。申請者にメールでお知らせします。"), status=workflow.LABELS[to])
            savepoint.commit()
        except ApplicationError as exc:
            savepoint.rollback()
            out.append(Outcome(number, False, exc.as_message(), before, before))
            continue
        out.append(Outcome(number, True, message, before, app.status))
    return out


def carry_out(numbers: Iterable[str], action: str, *, me: StaffUser, departments: list[str] | None,
              assignee: StaffUser | None = None, second_approver: Callable[[str], bool] = lambda pid: False,
              ) -> list[Outcome]:
    """:func:`run`, committed, then audited: a record per application done and one for the batch."""
    outcomes = run(numbers, action, me=me, departments=departments, assignee=assignee,
                   second_approver=second_approver)
    db.session.commit()
    for o in outcomes:
        if o.done and action == POSTED:
            audit.record("application.dispatch", target=o.number, details={"bulk": True})
        elif o.done and o.before != o.after:
            audit.record("application.status", target=o.number, details={"from": o.before, "to": o.after, "bulk": True})
        elif o.done and action in (ASSIGN, ASSIGN_ME):
            audit.record("application.assign", target=o.number, details={
                "assignee": (me if action == ASSIGN_ME else assignee).login_id, "bulk": True})
    audit.record("application.bulk", target="inbox", result="ok" if any(o.done for o in outcomes) else "failed",
                 details={"action": action, "done": [o.number for o in outcomes if o.done],
                          "refused": [o.number for o in outcomes if not o.done]})
    return outcomes

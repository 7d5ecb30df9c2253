"""The one authorisation table: which staff roles may use which endpoint. Deny by default.

Every endpoint under /staff must be listed here, or it answers 403 to everyone; a test walks
every route × role against this table. Add a line per endpoint in the section of your area.
"""
from __future__ import annotations

from core.words import N_

ADMIN = "admin"  # システム管理者
DEPARTMENT = "department"  # 所管課職員 (scoped to their departments)
COUNTER = "counter"  # 窓口職員
CURATOR = "curator"  # コンテンツ管理者 (rules and knowledge)
AUDITOR = "auditor"  # 監査担当 (read-only logs and statistics)
ROLES = (ADMIN, DEPARTMENT, COUNTER, CURATOR, AUDITOR)
ROLE_NAMES = {  # msgids: gettext in a page, core.words.text elsewhere
    ADMIN: N_("システム管理者"),
    DEPARTMENT: N_("所管課職員"),
    COUNTER: N_("窓口職員"),
    CURATOR: N_("コンテンツ管理者"),
    AUDITOR: N_("監査担当"),
}
EVERYONE = frozenset(ROLES)
PUBLIC = "public"  # staff endpoints reachable before login (login itself)

POLICY: dict[str, frozenset[str] | str] = {
    # --- auth and accounts (core/auth.py, staff/views.py) ---
    "staff.login": PUBLIC,
    "staff.login_totp": PUBLIC,
    "staff.logout": EVERYONE,
    "staff.home": EVERYONE,
    "staff.keepalive": EVERYONE,
    "staff.session_status": EVERYONE,
    "staff.password": EVERYONE,
    "staff.users": frozenset({ADMIN}),
    "staff.user_new": frozenset({ADMIN}),
    "staff.user_reset": frozenset({ADMIN}),
    "staff.user_unlock": frozenset({ADMIN}),
    "staff.user_edit": frozenset({ADMIN}),
    "staff.user_suspend": frozenset({ADMIN}),
    "staff.user_reactivate": frozenset({ADMIN}),
    # --- audit (staff/audit_views.py) ---
    "staff_audit.search": frozenset({AUDITOR, ADMIN}),
    "staff_audit.totals": frozenset({AUDITOR, ADMIN}),
    "staff_audit.export": frozenset({AUDITOR, ADMIN}),
    "staff_audit.print": frozenset({AUDITOR, ADMIN}),
    # --- usage statistics (staff/stats_views.py) ---
    "staff_stats.index": frozenset({AUDITOR, ADMIN, DEPARTMENT}),
    "staff_stats.export": frozenset({AUDITOR, ADMIN, DEPARTMENT}),
    "staff_stats.applications": frozenset({AUDITOR, ADMIN, DEPARTMENT}),  # counts and times only
    "staff_stats.applications_export": frozenset({AUDITOR, ADMIN, DEPARTMENT}),
    # --- online applications (staff/applications_views.py) ---
    # Department staff (their departments only) and administrators act. Auditors do not read
    # applications: they hold residents' personal data and signatures, which auditing does not
    # need (the audit log shows who viewed, changed or exported which receipt number).
    "staff_applications.inbox": frozenset({DEPARTMENT, ADMIN}),
    "staff_applications.bulk": frozenset({DEPARTMENT, ADMIN}),  # assign / 発行済 / 完了 for several at once
    "staff_applications.export_csv": frozenset({DEPARTMENT, ADMIN}),
    "staff_applications.export_json": frozenset({DEPARTMENT, ADMIN}),
    "staff_applications.print_list": frozenset({DEPARTMENT, ADMIN}),
    "staff_applications.detail": frozenset({DEPARTMENT, ADMIN}),
    "staff_applications.change_status": frozenset({DEPARTMENT, ADMIN}),
    "staff_applications.correction": frozenset({DEPARTMENT, ADMIN}),
    "staff_applications.assign": frozenset({DEPARTMENT, ADMIN}),
    "staff_applications.first_approval": frozenset({DEPARTMENT, ADMIN}),
    "staff_applications.confirm_fee": frozenset({DEPARTMENT, ADMIN}),
    "staff_applications.refund": frozenset({DEPARTMENT, ADMIN}),
    "staff_applications.download": frozenset({DEPARTMENT, ADMIN}),
    "staff_applications.print_one": frozenset({DEPARTMENT, ADMIN}),
    "staff_applications.export_one": frozenset({DEPARTMENT, ADMIN}),
    "staff_applications.note": frozenset({DEPARTMENT, ADMIN}),  # 職員メモ
    "staff_applications.phrases": frozenset({DEPARTMENT, ADMIN}),  # 補正の定型文 (staff/correction_phrase_views.py)
    "staff_applications.phrase_add": frozenset({DEPARTMENT, ADMIN}),
    "staff_applications.phrase_edit": frozenset({DEPARTMENT, ADMIN}),
    "staff_applications.phrase_delete": frozenset({DEPARTMENT, ADMIN}),
    "staff_applications.postal_labels": frozenset({DEPARTMENT, ADMIN}),  # 郵送: address labels
    "staff_applications.dispatch_list": frozenset({DEPARTMENT, ADMIN}),  # 発送一覧
    "staff_applications.dispatch_csv": frozenset({DEPARTMENT, ADMIN}),
    "staff_applications.issue_list": frozenset({DEPARTMENT, ADMIN}),  # 交付一覧 (certificate systems)
    "staff_applications.issue_list_csv": frozenset({DEPARTMENT, ADMIN}),
    # --- counter reservations (staff/reservations_views.py) ---
    # Counter work (day view, check-in, no-show, phone bookings, the walk-in queue, the day's CSV)
    # is for counter and department staff (their departments' counters) and administrators.
    # Windows, hours and closures are set by department staff and administrators. Auditors read
    # the statistics only (counts and times, no names).
    "staff_reservations.day": frozenset({COUNTER, DEPARTMENT, ADMIN}),
    "staff_reservations.checkin": frozenset({COUNTER, DEPARTMENT, ADMIN}),
    "staff_reservations.no_show": frozenset({COUNTER, DEPARTMENT, ADMIN}),
    "staff_reservations.cancel": frozenset({COUNTER, DEPARTMENT, ADMIN}),
    "staff_reservations.phone": frozenset({COUNTER, DEPARTMENT, ADMIN}),
    "staff_reservations.export": frozenset({COUNTER, DEPARTMENT, ADMIN}),
    "staff_reservations.queue": frozenset({COUNTER, DEPARTMENT, ADMIN}),
    "staff_reservations.queue_issue": frozenset({COUNTER, DEPARTMENT, ADMIN}),
    "staff_reservations.queue_ticket": frozenset({COUNTER, DEPARTMENT, ADMIN}),
    "staff_reservations.queue_call": frozenset({COUNTER, DEPARTMENT, ADMIN}),
    "staff_reservations.queue_done": frozenset({COUNTER, DEPARTMENT, ADMIN}),
    "staff_reservations.queue_no_show": frozenset({COUNTER, DEPARTMENT, ADMIN}),
    # the counter side of a visit (staff/visit_counter_views.py): the household the resident sent
    # (事前入力), corrections, the forms printed, each counter's stop done, who is coming next
    "staff_visits.index": frozenset({COUNTER, DEPARTMENT, ADMIN}),
    "staff_visits.visit": frozenset({COUNTER, DEPARTMENT, ADMIN}),
    "staff_visits.correct": frozenset({COUNTER, DEPARTMENT, ADMIN}),
    "staff_visits.members": frozenset({COUNTER, DEPARTMENT, ADMIN}),
    "staff_visits.print_forms": frozenset({COUNTER, DEPARTMENT, ADMIN}),
    "staff_visits.stop_done": frozenset({COUNTER, DEPARTMENT, ADMIN}),
    "staff_reservations.overrides": frozenset({DEPARTMENT, ADMIN}),
    "staff_reservations.override_deactivate": frozenset({DEPARTMENT, ADMIN}),
    "staff_reservations.stats": frozenset({AUDITOR, ADMIN, DEPARTMENT}),
    "staff_reservations.stats_export": frozenset({AUDITOR, ADMIN, DEPARTMENT}),
    # --- what residents could not find (staff/search_views.py): words and answers only ---
    "staff_search.misses": frozenset({CURATOR, ADMIN}),
    "staff_search.feedback": frozenset({CURATOR, ADMIN}),  # answers on result pages (guide/feedback.py): no personal data
    # --- the rules' drawings (staff/rule_graph_views.py): the loaded pack, read-only ---
    "staff_rule_graph.index": frozenset({CURATOR, ADMIN}),
    "staff_rule_graph.event": frozenset({CURATOR, ADMIN}),
    "staff_rule_graph.download": frozenset({CURATOR, ADMIN}),
    # --- mail templates (staff/mail_preview_views.py): read-only previews with sample data ---
    "staff_mail.index": frozenset({ADMIN}),
    "staff_mail.preview": frozenset({ADMIN}),
    # --- the curators' console: versions of the pack (staff/content_views.py) ---
    # Curators and administrators change, check, publish, schedule, withdraw and roll back;
    # auditors read the history and what each version changed (the audit log has the rest).
    "staff_content.index": frozenset({CURATOR, ADMIN}),
    "staff_content.new_draft": frozenset({CURATOR, ADMIN}),
    "staff_content.discard": frozenset({CURATOR, ADMIN}),
    "staff_content.files": frozenset({CURATOR, ADMIN}),
    "staff_content.view_file": frozenset({CURATOR, ADMIN}),
    "staff_content.draft": frozenset({CURATOR, ADMIN}),
    "staff_content.check": frozenset({CURATOR, ADMIN}),
    "staff_content.add_file": frozenset({CURATOR, ADMIN}),
    "staff_content.upload": frozenset({CURATOR, ADMIN}),
    "staff_content.remove": frozenset({CURATOR, ADMIN}),
    "staff_content.publish": frozenset({CURATOR, ADMIN}),
    "staff_content.editor": frozenset({CURATOR, ADMIN}),
    "staff_content.save": frozenset({CURATOR, ADMIN}),
    "staff_content.add_fee": frozenset({CURATOR, ADMIN}),
    "staff_content.save_deadline": frozenset({CURATOR, ADMIN}),
    "staff_content.save_bring": frozenset({CURATOR, ADMIN}),
    "staff_content.save_place": frozenset({CURATOR, ADMIN}),
    "staff_content.save_rule": frozenset({CURATOR, ADMIN}),
    "staff_content.save_scenario": frozenset({CURATOR, ADMIN}),
    "staff_content.counter": frozenset({CURATOR, ADMIN}),
    "staff_content.save_counter": frozenset({CURATOR, ADMIN}),
    "staff_content.publish_confirm": frozenset({CURATOR, ADMIN}),
    "staff_content.history": frozenset({CURATOR, ADMIN, AUDITOR}),
    "staff_content.changes": frozenset({CURATOR, ADMIN, AUDITOR}),
    "staff_content.withdraw": frozenset({CURATOR, ADMIN}),
    "staff_content.rollback_confirm": frozenset({CURATOR, ADMIN}),
    "staff_content.rollback": frozenset({CURATOR, ADMIN}),
    # --- the form editor: online forms in a curator's draft (staff/form_views.py) ---
    "staff_forms.index": frozenset({CURATOR, ADMIN}),
    "staff_forms.create": frozenset({CURATOR, ADMIN}),
    "staff_forms.editor": frozenset({CURATOR, ADMIN}),
    "staff_forms.change": frozenset({CURATOR, ADMIN}),
    "staff_forms.preview": frozenset({CURATOR, ADMIN}),
    # --- monitoring (staff alerts) ---
    "staff_monitor.alerts": frozenset({ADMIN, AUDITOR}),
    "staff_monitor.acknowledge": frozenset({ADMIN}),  # auditors only read
    # --- the incident register, 障害対応履歴 (staff/incident_views.py): administrators record, auditors read ---
    "staff_incidents.index": frozenset({ADMIN, AUDITOR}),
    "staff_incidents.new": frozenset({ADMIN}),
    "staff_incidents.create": frozenset({ADMIN}),
    "staff_incidents.edit": frozenset({ADMIN}),
    "staff_incidents.update": frozenset({ADMIN}),
    # --- the manuals in the console (staff/help_views.py): every role reads them ---
    "staff_help.index": EVERYONE,
    "staff_help.manual": EVERYONE,
    "staff_help.screen": EVERYONE,
}


def allowed(endpoint: str | None, role: str | None) -> bool:
    rule = POLICY.get(endpoint or "")
    if rule is None:
        return False
    if rule == PUBLIC:
        return True
    return role in rule


def is_public(endpoint: str | None) -> bool:
    return POLICY.get(endpoint or "") == PUBLIC

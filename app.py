"""The Flask application factory: ``create_app(config=None)`` returns the WSGI app.

The one place where the layers are plugged together (app → staff → guide | intake | reservations → rules →
knowledge → core, see pyproject.toml): every blueprint, CLI group, OpenAPI part and pack check is registered
here, so no lower layer ever imports a higher one to wire itself in.
"""
from __future__ import annotations

from typing import Any

from flask import Flask, render_template

import reservations.models  # noqa: F401  (the models above join db.metadata for migrations)
from core import audit, conformance, crypto, handover, help_views, monitoring, public_url
from core.backup_cli import backup_cli
from core.city import city_name, init_city
from core.config import load_config
from core.db import db, init_restart_tolerance, migrate
from core.errors import init_errors
from core.i18n import init_i18n
from core.pack import PackSource, rulebook
from core.platform import init_platform
from core.security import csrf
from core.templating import Environment, init_templating
from guide import api as guide_api
from guide import embed_views, procedure_pages, search_views
from guide import views as guide_views
from guide.cli import feedback_cli, knowledge_cli, rules_cli
from guide.generations import record_generation
from guide.search_openapi import add_search_api
from intake import api as intake_api
from intake import backoffice, dev_signer_views
from intake import views as intake_views
from intake.backoffice_cli import backoffice_cli
from intake.cli import applications_cli, jpki_cli
from intake.forms import form_problems
from intake.openapi_parts import add_application_api
from intake.payments import views as payment_views
from intake.payments.cli import payments_cli
from intake.payments.service import check_provider as check_payment_provider
from knowledge.loader import PACKS_DIR, default_pack_name, load_pack
from reservations import api as reservations_api
from reservations import crowding_views, display_views, prefill_views, visit_views
from reservations import views as reservations_views
from reservations.cli import reservation_problems, reservations_cli
from reservations.counter_forms import counter_form_problems
from reservations.openapi_parts import add_reservation_api
from rules.generation import RulebookHolder, files_fingerprint
from rules.ruleset import Rulebook, build_rulebook
from rules.scenarios import run_scenario_files, scenario_files
from rules.vocabulary import VOCABULARY_FILE
from staff import applications_list_views, applications_print_views, content, content_preview  # noqa: F401  (their routes join the blueprint)
from staff import applications_views as staff_applications
from staff import audit_views as staff_audit
from staff import content_views as staff_content
from staff import form_views as staff_forms
from staff import help_views as staff_help
from staff import incident_views as staff_incidents
from staff import mail_preview_views as staff_mail
from staff import monitor_views as staff_monitor
from staff import reservations_views as staff_reservations
from staff import rule_graph_views as staff_rule_graph
from staff import search_views as staff_search
from staff import stats_views as staff_stats
from staff import views as staff_views
from staff import visit_counter_views as staff_visits
from staff.cli import content_cli, staff_cli


def create_app(config: dict[str, Any] | None = None) -> Flask:
    # the pack served: MUNICIPALITY, else the product's default pack (knowledge/loader.py)
    config = {"MUNICIPALITY": default_pack_name(), **(config or {})}
    settings = load_config(config)  # core/settings.py: typed, checked; production refuses unsafe settings
    public_url.check(settings)  # a malformed PUBLIC_BASE_URL is refused at start too
    check_payment_provider(settings)  # PAYMENT_PROVIDER must name a registered provider (intake/payments)
    app = Flask(__name__, instance_path=settings["INSTANCE_PATH"], instance_relative_config=False)
    app.jinja_environment = Environment  # a.b on a dict reads the key first (core/templating.py)
    app.config.update(settings)
    app.json.ensure_ascii = False
    app.json.sort_keys = False

    db.init_app(app)
    init_restart_tolerance(app)  # requests ride out a PostgreSQL restart (core/db.py)
    migrate.init_app(app, db, directory=str(app.root_path + "/migrations"), render_as_batch=True)
    init_i18n(app)
    init_platform(app)
    content.record_first_version(app)  # a fresh install: the repository's files become v1
    init_pack(app)
    content.note_first_ruleset(app)
    register_blueprints(app)
    register_cli(app)
    # what each service adds to the shared OpenAPI document
    app.extensions["openapi_parts"] = (add_search_api, add_application_api, add_reservation_api)
    # what each service checks of its own files in the pack: by `flask knowledge check`, and in a
    # curator's version before it is published (staff/content.py)
    app.extensions["pack_checks"] = (reservation_problems, form_problems, counter_form_problems)
    init_errors(app)
    init_templating(app)  # the templates' url_for memoised (core/templating.py)

    @app.get("/accessibility")
    def accessibility():
        return render_template("accessibility.html", results=conformance.results())

    @app.get("/accessibility/results")
    def accessibility_results():
        """試験結果: docs/accessibility-conformance.yaml (the same words as the Markdown document)."""
        return render_template("accessibility_results.html", results=conformance.results(),
                               filled=lambda text: conformance.filled(text, city_name("ja")))

    return app


def init_pack(app: Flask) -> None:
    """The city's pack, loaded and reloaded by generation; services read it through ``core.pack.rulebook()``."""
    municipality = app.config["MUNICIPALITY"]
    # the version in force in the database (published on the console), else the repository's files
    source = PackSource(app, municipality, PACKS_DIR,
                        lambda: files_fingerprint(PACKS_DIR / municipality, VOCABULARY_FILE.parent))
    app.extensions["pack_source"] = source
    app.extensions["rulebook"] = RulebookHolder(
        lambda: build_rulebook(load_pack(municipality, source.packs_dir())),
        verify=_scenario_failures,
        fingerprint=source.fingerprint,
        interval=app.config["RULES_RELOAD_SECONDS"],
        on_change=_audit_rules_change,
    )
    init_city(app)  # templates' `city` and `city_name`, from this pack

    @app.before_request
    def _record_generation() -> None:
        record_generation(rulebook(), municipality)


def _scenario_failures(book: Rulebook) -> list[str]:
    return run_scenario_files(book, scenario_files(book.kb)).failures


def _audit_rules_change(outcome: str, book: Rulebook | None, problem: str | None) -> None:
    """A change of rules or knowledge is a change of configuration: audited, success or refusal."""
    details = {"ruleset_version": book.version} if book else {"problem": (problem or "")[:500]}
    try:
        audit.record("rules.reload", target="knowledge", result="ok" if outcome == "ok" else "failed",
                     actor="system", role="reload", details=details)
    except audit.AuditError:
        pass  # the reload itself is logged; a resident's page must not fail for the audit write


def register_blueprints(app: Flask) -> None:
    """Every blueprint, in the order templates are looked up. JSON APIs without cookies are CSRF-exempt."""
    app.register_blueprint(staff_audit.bp)
    app.register_blueprint(staff_views.bp)
    app.register_blueprint(monitoring.bp)  # /healthz /readyz /metrics
    app.register_blueprint(staff_monitor.bp)
    app.register_blueprint(staff_incidents.bp)  # 障害対応履歴
    app.register_blueprint(staff_stats.bp)
    app.register_blueprint(guide_views.bp)
    app.register_blueprint(procedure_pages.bp)  # /, /procedures/ and the header's menu
    app.register_blueprint(guide_api.bp)
    app.register_blueprint(search_views.bp)
    app.register_blueprint(embed_views.bp)  # /embed/… and /embed.js: the city homepage's widgets
    csrf.exempt(guide_api.bp)  # a JSON machine endpoint: no cookies, no forms, nothing to forge
    app.register_blueprint(intake_views.bp)
    app.register_blueprint(intake_api.bp)
    csrf.exempt(intake_api.bp)  # JSON API: no cookies or forms to forge
    app.register_blueprint(dev_signer_views.bp)  # /dev/signer: 404 unless JPKI_DEV_SIGNER (never in production)
    app.register_blueprint(backoffice.bp)
    csrf.exempt(backoffice.bp)  # bearer tokens, no cookies
    app.register_blueprint(payment_views.bp)
    app.register_blueprint(payment_views.api_bp)
    csrf.exempt(payment_views.api_bp)  # webhooks: authenticated by their HMAC signature, not a cookie
    app.register_blueprint(reservations_views.bp)
    app.register_blueprint(visit_views.bp)  # /reserve/visit: one booking for the whole visit
    app.register_blueprint(prefill_views.bp)  # /reserve/visit/<token>/prefill: 事前入力
    app.register_blueprint(reservations_api.bp)
    csrf.exempt(reservations_api.bp)  # JSON API: no cookies; the manage token is in the URL
    app.register_blueprint(staff_applications.bp)
    app.register_blueprint(staff_reservations.bp)
    app.register_blueprint(staff_visits.bp)  # /staff/visits: the counter side of a visit
    app.register_blueprint(display_views.bp)
    app.register_blueprint(crowding_views.bp)  # /crowding, its widget /embed/crowding/… and its JSON
    app.register_blueprint(staff_mail.bp)
    app.register_blueprint(content_preview.bp)  # /preview/…: a curator's draft on the residents' pages
    app.register_blueprint(staff_search.bp)
    app.register_blueprint(staff_rule_graph.bp)
    app.register_blueprint(staff_content.bp)  # /staff/content: the curators' versions of the pack
    app.register_blueprint(staff_forms.bp)  # /staff/content/drafts/<id>/forms: the form editor
    app.register_blueprint(help_views.bp)  # /help/…: the residents' manual (docs/manual/)
    app.register_blueprint(staff_help.bp)  # /staff/help/…: the staff manual and the training text


def register_cli(app: Flask) -> None:
    """Every ``flask <group>`` command (``flask worker`` and ``flask outbox`` come with core.outbox)."""
    for group in (audit.audit_cli, crypto.keys_cli, backup_cli, staff_cli, content_cli, knowledge_cli, rules_cli,
                  feedback_cli, jpki_cli, applications_cli, payments_cli, backoffice_cli, reservations_cli):
        app.cli.add_command(group)
    for command in (handover.export_all_command, handover.erase_all_command):
        app.cli.add_command(command)
    app.extensions["app_factory"] = create_app  # the restore drill boots the app on the restored database


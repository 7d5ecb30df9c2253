"""The Flask application factory: ``create_app(config=None)`` returns the WSGI app."""
from __future__ import annotations

from typing import Any

from flask import Flask, redirect, render_template, url_for

from core.config import load_config
from core.db import db, migrate
from core.i18n import init_i18n
from core.templating import Environment


def create_app(config: dict[str, Any] | None = None) -> Flask:
    settings = load_config(config)
    app = Flask(__name__, instance_path=settings["INSTANCE_PATH"], instance_relative_config=False)
    app.jinja_environment = Environment  # a.b on a dict reads the key first (core/templating.py)
    app.config.update(settings)
    app.json.ensure_ascii = False
    app.json.sort_keys = False

    db.init_app(app)
    import core.models
    import core.staff_models  # noqa: F401
    import intake.backoffice_models
    import intake.models
    import intake.payments.models  # noqa: F401
    import reservations.models  # noqa: F401
    migrate.init_app(app, db, directory=str(app.root_path + "/migrations"), render_as_batch=True)
    init_i18n(app)
    from core.platform import init_platform
    init_platform(app)

    from guide import init_guide
    init_guide(app)
    from intake.api import bp as intake_api_bp
    from intake.views import bp as intake_bp
    from reservations.views import bp as reservations_bp
    app.register_blueprint(intake_bp)
    app.register_blueprint(intake_api_bp)
    from core.security import csrf
    csrf.exempt(intake_api_bp)  # JSON API: no cookies or forms to forge
    from intake.backoffice import bp as backoffice_bp
    app.register_blueprint(backoffice_bp)
    csrf.exempt(backoffice_bp)  # bearer tokens, no cookies
    from intake.cli import applications_cli, jpki_cli
    app.cli.add_command(jpki_cli)
    app.cli.add_command(applications_cli)
    from intake.payments.cli import payments_cli
    from intake.payments.views import api_bp as payments_api_bp
    from intake.payments.views import bp as payments_bp
    app.register_blueprint(payments_bp)
    app.register_blueprint(payments_api_bp)
    csrf.exempt(payments_api_bp)  # webhooks: authenticated by their HMAC signature, not a cookie
    app.cli.add_command(payments_cli)
    if app.config["FORCE_HTTPS"]:  # the production signal: say what would make it unsafe
        if app.config["PAYMENT_PROVIDER"] == "sandbox":
            app.logger.warning("PAYMENT_PROVIDER is the sandbox (a test checkout marks fees paid): set a real provider")
        if not app.config["PUBLIC_BASE_URL"]:
            app.logger.warning("PUBLIC_BASE_URL is not set: links in e-mails follow the request's Host header")
    from intake.backoffice_cli import backoffice_cli
    app.cli.add_command(backoffice_cli)
    app.register_blueprint(reservations_bp)
    from reservations.api import bp as reservations_api_bp
    from reservations.cli import reservations_cli
    app.register_blueprint(reservations_api_bp)
    csrf.exempt(reservations_api_bp)  # JSON API: no cookies; the manage token is in the URL
    app.cli.add_command(reservations_cli)
    from staff import applications_list_views, applications_print_views  # noqa: F401  (their routes join the blueprint)
    from staff.applications_views import bp as staff_applications_bp
    app.register_blueprint(staff_applications_bp)
    from reservations.display_views import bp as display_bp
    from staff.reservations_views import bp as staff_reservations_bp
    app.register_blueprint(staff_reservations_bp)
    app.register_blueprint(display_bp)

    from core.errors import init_errors
    init_errors(app)

    @app.get("/")
    def home():
        return redirect(url_for("guide.start"))

    @app.get("/accessibility")
    def accessibility():
        return render_template("accessibility.html")

    return app

"""payclaims: involve and pay experts by experience fairly."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(
    test_config: dict[str, Any] | None = None, *, instance_path: str | None = None
) -> Flask:
    """Build the application: configuration, extensions, blueprints, CLI and error pages."""
    app = Flask(
        __name__,
        instance_path=instance_path or str(PROJECT_ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    from payclaims import config

    config.load(app, test_config)

    from payclaims import cli, database, error_pages, models, security, templating

    # First: extensions (Flask-WTF) create the Jinja environment, which reads these options.
    templating.init_app(app)
    from payclaims.extensions import csrf, db, limiter, login_manager, mail, migrate

    assert models.__all__  # every table is known before migrations or queries run
    db.init_app(app)
    with app.app_context():
        database.configure_sqlite(db.engine, app.config["SQLITE_BUSY_TIMEOUT_MS"])
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    mail.init_app(app)
    login_manager.init_app(app)

    from payclaims.auth import login

    login.init_app(app)
    security.init_app(app)
    error_pages.init_app(app)
    _register_blueprints(app)
    cli.init_app(app)
    _trust_proxies(app)
    return app


def _register_blueprints(app: Flask) -> None:
    from payclaims.admin.views import bp as admin_bp
    from payclaims.approvals.views import bp as approvals_bp
    from payclaims.audit.views import bp as audit_bp
    from payclaims.auth.access import enforce_access
    from payclaims.auth.views import bp as auth_bp
    from payclaims.benefits.profile import views as profile_views  # noqa: F401  (joins benefits_bp)
    from payclaims.benefits.rules import views as rules_views  # noqa: F401  (joins benefits_bp)
    from payclaims.benefits.views import bp as benefits_bp
    from payclaims.claims.views import bp as claims_bp
    from payclaims.costcentres.views import bp as costcentres_bp
    from payclaims.home.views import bp as home_bp
    from payclaims.payments.views import bp as payments_bp
    from payclaims.people.views import bp as people_bp
    from payclaims.roles.views import bp as roles_bp
    from payclaims.signups.views import bp as signups_bp
    from payclaims.training.views import bp as training_bp

    for blueprint in (
        home_bp,
        auth_bp,
        admin_bp,
        audit_bp,
        roles_bp,
        signups_bp,
        training_bp,
        costcentres_bp,
        benefits_bp,
        people_bp,
        claims_bp,
        approvals_bp,
        payments_bp,
    ):
        app.register_blueprint(blueprint)
    app.before_request(enforce_access)


def _trust_proxies(app: Flask) -> None:
    count = int(app.config["PROXY_COUNT"])
    if count > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)  # type: ignore[method-assign]

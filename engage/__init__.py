"""engage: self-hosted comments, reactions and share counts for news sites."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

__all__ = ["create_app"]


def _asset_folder(name: str) -> str:
    # Installed: the wheel maps templates/ and static/ into the package. From a checkout: they
    # sit at the repository's top level, beside the package.
    package = Path(__file__).resolve().parent
    inside = package / name
    return str(inside if inside.is_dir() else package.parent / name)


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the engage application; `config` overrides defaults and the environment."""
    from . import api, cli, embed, health, moderation, notifications, wordpress
    from .config import instance_path, load_config
    from .database import engine_options, install_fault_handling
    from .errors import register_error_handlers
    from .extensions import babel, csrf, db, limiter, login_manager, migrate
    from .jsonprovider import OrjsonProvider
    from .logs import configure_logging
    from .security import register_security_headers
    from .serving.guard import LastResort
    from .serving.setup import install_cache
    from .sessions import PublicPathsSessions

    app = Flask(
        __name__,
        template_folder=_asset_folder("templates"),
        static_folder=_asset_folder("static"),
        # Where the default SQLite file and the demo's data live (an extension of CONTRACT §5).
        instance_path=instance_path(),
        instance_relative_config=True,
    )
    load_config(app, config)
    configure_logging(app)
    app.session_interface = PublicPathsSessions()
    app.json = OrjsonProvider(app)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(app.config)

    # The read cache answers what it can before Flask; the last resort is around both: nothing
    # that escapes them (a hook, a teardown) reaches the server as a bare 500.
    install_cache(app, api.cached_answer_reader)
    app.wsgi_app = LastResort(app.wsgi_app)  # type: ignore[method-assign]
    trusted = app.config["ENGAGE_TRUSTED_PROXIES"]
    if trusted:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=trusted, x_proto=trusted)  # type: ignore[method-assign]

    db.init_app(app)
    with app.app_context():
        install_fault_handling(app, db.engine)
    migrate.init_app(app, db)
    limiter.init_app(app)
    csrf.init_app(app)
    login_manager.init_app(app)
    babel.init_app(app, locale_selector=moderation.select_locale)

    app.register_blueprint(api.bp)
    csrf.exempt(api.bp)  # token-less JSON for cross-origin readers: nothing a cookie authorises
    app.register_blueprint(health.bp)
    app.register_blueprint(embed.bp)
    app.register_blueprint(moderation.bp)
    app.register_blueprint(wordpress.bp)
    app.register_blueprint(notifications.bp)
    csrf.exempt(notifications.bp)  # the signed token in the link is the authority
    register_error_handlers(app)
    register_security_headers(app)
    cli.register(app)
    return app

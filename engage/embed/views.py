"""The demo pages: a placeholder until the widget lands."""

from __future__ import annotations

from flask import current_app, render_template

from . import bp


@bp.get("/")
def demo_article() -> str:
    """Show the demo's landing page (only in `engage demo`)."""
    if not current_app.config["ENGAGE_DEMO"]:
        from werkzeug.exceptions import NotFound

        raise NotFound()
    return render_template("embed/placeholder.html", site_key=current_app.config["ENGAGE_DEMO_SITE"])

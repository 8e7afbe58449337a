"""The webhooks page of a site (admins): its endpoints, their delivery log, add and remove."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from ..errors import ValidationError
from ..extensions import db
from ..models import Site
from ..services import moderation, webhooks
from . import bp
from .auth import current_moderator
from .forms import WebhookForm
from .labels import webhook_error

CHANGES = "any(enable, disable, remove)"


def _admin_site(site_key: str) -> Site:
    moderator = current_moderator()
    site = moderation.site_for(moderator, site_key)
    moderation.authorize_admin(moderator)
    return site


@bp.route("/sites/<site_key>/webhooks", methods=["GET", "POST"])
def show_webhooks(site_key: str) -> str | Response:
    """List the site's endpoints with their latest deliveries; add one (its secret shown once)."""
    site = _admin_site(site_key)
    form = WebhookForm()
    secret = None
    if form.validate_on_submit():
        try:
            endpoint = webhooks.add_endpoint(site, form.url.data or "", form.events.data or None)
        except ValidationError as error:
            db.session.rollback()
            form.url.errors = [webhook_error(error)]
        else:
            secret = endpoint.secret
            db.session.commit()
            form = WebhookForm(formdata=None)
    endpoints = webhooks.endpoints_of(site)
    return render_template(
        "moderation/webhooks.html", site=site, form=form, secret=secret, endpoints=endpoints,
        attempts={e.id: webhooks.recent_attempts(e, 10) for e in endpoints},
        events=webhooks.EVENTS, sites=moderation.sites_of(current_moderator()),
        back=request.path)


@bp.post(f"/sites/<site_key>/webhooks/<int:endpoint_id>/<{CHANGES}:change>")
def change_webhook(site_key: str, endpoint_id: int, change: str) -> Response:
    """Pause, resume or remove an endpoint."""
    site = _admin_site(site_key)
    back = url_for(".show_webhooks", site_key=site.key)  # CSRFProtect checked the token
    endpoint = webhooks.endpoint_of(site, endpoint_id)
    if change == "remove":
        webhooks.remove_endpoint(endpoint)
        message = _("Webhook removed.")
    else:
        webhooks.set_enabled(endpoint, change == "enable")
        message = _("Webhook resumed.") if change == "enable" else _("Webhook paused.")
    db.session.commit()
    flash(message, "success")
    return redirect(back)

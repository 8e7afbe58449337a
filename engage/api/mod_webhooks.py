"""/api/v1/mod/webhooks: a site's webhook endpoints, for its admins (the settings' API)."""

from __future__ import annotations

from typing import Any

from flask import Response, g, jsonify, request

from ..errors import NotFound, ValidationError
from ..extensions import db
from ..models import DeliveryAttempt, Site, WebhookEndpoint
from ..services import moderation, webhooks
from . import bp
from .mod import moderator_required
from .schemas import MAX_ID, iso, json_body


def endpoint_json(endpoint: WebhookEndpoint, site: Site) -> dict[str, Any]:
    """An endpoint as its admins see it: never its secret (shown once, when added)."""
    return {
        "id": endpoint.id,
        "site": site.key,
        "url": endpoint.url,
        "events": endpoint.events,
        "enabled": endpoint.enabled,
        "disabled_reason": endpoint.disabled_reason,
        "failures": endpoint.failures,
        "created_at": iso(endpoint.created_at),
    }


def attempt_json(attempt: DeliveryAttempt) -> dict[str, Any]:
    return {"at": iso(attempt.at), "ok": attempt.ok, "status_code": attempt.status_code,
            "detail": attempt.detail, "duration_ms": attempt.duration_ms}


def _admin_site(key: Any) -> Site:
    site = moderation.site_for(g.moderator, key if isinstance(key, str) else None)
    moderation.authorize_admin(g.moderator)
    return site


def _endpoint(endpoint_id: int) -> tuple[WebhookEndpoint, Site]:
    endpoint = db.session.get(WebhookEndpoint, endpoint_id) if endpoint_id <= MAX_ID else None
    if endpoint is None:
        raise NotFound("No such webhook endpoint.")
    site = db.session.get(Site, endpoint.site_id)
    assert site is not None
    moderation.authorize(g.moderator, site)
    moderation.authorize_admin(g.moderator)
    return endpoint, site


def _events(data: dict[str, Any]) -> list[str] | None:
    events = data.get("events")
    if events is None:
        return None
    if not isinstance(events, list) or not all(isinstance(e, str) for e in events):
        raise ValidationError("events must be a list of event names.",
                              fields={"events": "a list of event names"})
    return events


@bp.get("/mod/webhooks")
@moderator_required
def get_webhooks() -> Response:
    """List the site's webhook endpoints."""
    site = _admin_site(request.args.get("site"))
    return jsonify({"webhooks": [endpoint_json(e, site) for e in webhooks.endpoints_of(site)]})


@bp.post("/mod/webhooks")
@moderator_required
def post_webhook() -> tuple[Response, int]:
    """Add an endpoint; the answer holds its signing secret, this once."""
    data = json_body()
    site = _admin_site(data.get("site"))
    url = data.get("url")
    if not isinstance(url, str):
        raise ValidationError("url is required.", fields={"url": "an https:// URL"})
    endpoint = webhooks.add_endpoint(site, url, _events(data))
    body = {"webhook": {**endpoint_json(endpoint, site), "secret": endpoint.secret}}
    db.session.commit()
    return jsonify(body), 201


@bp.patch("/mod/webhooks/<int:endpoint_id>")
@moderator_required
def patch_webhook(endpoint_id: int) -> Response:
    """Turn an endpoint on (its failure streak forgotten) or off."""
    endpoint, site = _endpoint(endpoint_id)
    enabled = json_body().get("enabled")
    if not isinstance(enabled, bool):
        raise ValidationError("enabled must be true or false.", fields={"enabled": "a boolean"})
    webhooks.set_enabled(endpoint, enabled)
    body = {"webhook": endpoint_json(endpoint, site)}
    db.session.commit()
    return jsonify(body)


@bp.delete("/mod/webhooks/<int:endpoint_id>")
@moderator_required
def delete_webhook(endpoint_id: int) -> Response:
    """Remove an endpoint, its undelivered events and its log."""
    endpoint, site = _endpoint(endpoint_id)
    body = {"webhook": endpoint_json(endpoint, site), "removed": True}
    webhooks.remove_endpoint(endpoint)
    db.session.commit()
    return jsonify(body)


@bp.get("/mod/webhooks/<int:endpoint_id>/deliveries")
@moderator_required
def get_webhook_deliveries(endpoint_id: int) -> Response:
    """The endpoint's latest delivery attempts, newest first."""
    endpoint, _ = _endpoint(endpoint_id)
    return jsonify({"deliveries": [attempt_json(a) for a in webhooks.recent_attempts(endpoint)]})

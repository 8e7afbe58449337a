"""PUT/DELETE /reaction and POST /shares: readers react to and share articles."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify

from ..extensions import db, limiter
from ..limits import by_ip, named
from ..models import Reaction, Thread
from ..services import engagement
from . import acting_reader, bp, use_site
from .schemas import json_body, parse_article_query, parse_reaction, parse_share


def _reactions(thread: Thread | None, mine: Reaction | None) -> dict[str, Any]:
    counts = thread.reactions if thread else {r.value: 0 for r in Reaction}
    return {"reactions": counts, "reaction": mine.value if mine else None}


@bp.put("/reaction")
@limiter.limit(named("ENGAGE_LIMIT_ENGAGEMENT"), key_func=by_ip)
def put_reaction() -> Response:
    """Set the reader's one reaction to an article (replacing any other)."""
    ref, reaction = parse_reaction(json_body())
    site = use_site(ref.site)
    thread = engagement.set_reaction(site, ref, acting_reader(site), reaction)
    db.session.commit()
    return jsonify(_reactions(thread, reaction))


@bp.delete("/reaction")
@limiter.limit(named("ENGAGE_LIMIT_ENGAGEMENT"), key_func=by_ip)
def delete_reaction() -> Response:
    """Remove the reader's reaction to an article."""
    site_key, article = parse_article_query()
    site = use_site(site_key)
    thread = engagement.remove_reaction(site, article, acting_reader(site))
    db.session.commit()
    return jsonify(_reactions(thread, None))


@bp.post("/shares")
@limiter.limit(named("ENGAGE_LIMIT_ENGAGEMENT"), key_func=by_ip)
def post_share() -> Response:
    """Count a share button used by the reader, once per network per article."""
    ref, network = parse_share(json_body())
    site = use_site(ref.site)
    thread = engagement.record_share(site, ref, acting_reader(site), network)
    db.session.commit()
    shares = thread.shares
    return jsonify({"shares": shares, "share_total": sum(shares.values())})

"""Flask's JSON provider, with orjson writing the answers.

A thread page is a few hundred comment objects: orjson writes it several times faster than
json.dumps, as UTF-8 (« guillemets » stay two bytes, not a six-byte escape). Reading request
bodies, and `dumps` (templates' tojson), stay the standard library's: its error messages and
its lone-surrogate handling are what api/schemas.py's gate expects.
"""

from __future__ import annotations

from typing import Any

import orjson
from flask import Response
from flask.json.provider import DefaultJSONProvider

# Datetimes go through Flask's default (an HTTP date) as before; integer keys become strings.
_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_APPEND_NEWLINE


class OrjsonProvider(DefaultJSONProvider):
    """The contract's field order (no key sorting), compact out of debug mode."""

    sort_keys = False

    def response(self, *args: Any, **kwargs: Any) -> Response:
        obj = self._prepare_response_obj(args, kwargs)
        options = _OPTIONS
        if (self.compact is None and self._app.debug) or self.compact is False:
            options |= orjson.OPT_INDENT_2
        body = orjson.dumps(obj, default=self.default, option=options)
        response: Response = self._app.response_class(body, mimetype=self.mimetype)  # type: ignore[arg-type,assignment]
        return response

"""The stack's own limit: a minimal Flask app answering engage's recorded bytes, no work.

bench/run.py records engage's answers (body and the headers that matter), writes them to
the file named by ENGAGE_BENCH_RECORDED, and serves this app with the same gunicorn settings.
"""

from __future__ import annotations

import json
import os

from flask import Flask, Response, request

RECORDED = json.load(open(os.environ["ENGAGE_BENCH_RECORDED"], encoding="utf-8"))
app = Flask(__name__)


def _answer(name: str) -> Response:
    recorded = RECORDED[name]
    etag = recorded.get("etag")
    if etag and request.headers.get("If-None-Match") == etag:
        return Response(status=304, headers={"ETag": etag})
    response = Response(recorded["body"].encode(), status=recorded["status"],
                        content_type="application/json")
    if etag:
        response.headers["ETag"] = etag
    return response


@app.get("/api/v1/thread")
def thread() -> Response:
    return _answer("thread")


@app.get("/api/v1/counts")
def counts() -> Response:
    return _answer("counts")


@app.post("/api/v1/comments")
def post() -> Response:
    request.get_data()
    return _answer("post")


@app.put("/api/v1/reaction")
def reaction() -> Response:
    request.get_data()
    return _answer("reaction")


@app.get("/healthz")
def healthz() -> Response:
    return Response(b'{"status":"ok"}', content_type="application/json")

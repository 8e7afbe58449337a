"""How bytes leave the process: the last-resort guard around Flask, gunicorn's settings and
`engage serve`."""

import gc
from pathlib import Path

CONFIG_FILE = str(Path(__file__).with_name("gunicorn.conf.py"))


def warm_up(app: object) -> None:
    """Read what a worker wants in hand before its first request (gunicorn's post_worker_init).

    The registered origins, so that CORS can answer from them even if the database fails
    before this worker ever needed them. A database that is down now is no reason to fail.
    """
    from flask import Flask

    from ..services import origins

    if isinstance(app, Flask):
        with app.test_request_context("/"):
            origins.is_registered("")
    # What start-up made (modules, the app, its statements) lives as long as the worker: out of
    # the cyclic GC's sight, a full collection no longer walks it in the middle of a request
    # (bench/run.py: the single-writer post p50 went from 7.3-7.9 ms to 6.0-7.1 ms).
    gc.collect()
    gc.freeze()

"""gunicorn's settings for engage, chosen from engage's own configuration.

`engage serve` starts gunicorn with this file; it also works directly:
    gunicorn -c "$(python3 -c 'import engage.serving as s; print(s.CONFIG_FILE)')"
Command-line flags (--bind, --workers, --threads…) override what is set here.
"""

import os
import sys

from engage.config import ConfigError
from engage.serving.settings import DEFAULT_BIND, pick, read_config, refusal

try:
    _settings = pick(read_config())
except ConfigError as _error:
    sys.exit(str(_error))

wsgi_app = "engage:create_app()"
bind = [os.environ.get("ENGAGE_BIND", DEFAULT_BIND)]
worker_class = "gthread"
workers = _settings.workers
threads = _settings.threads
# gthread: a worker that stops heartbeating for this long is restarted; requests themselves
# are bounded by the database timeouts (a few seconds), not by this.
timeout = 30
graceful_timeout = 20  # SIGTERM and HUP let requests in flight finish for this long
keepalive = 5
forwarded_allow_ips = _settings.forwarded_allow_ips
accesslog = os.environ.get("ENGAGE_ACCESS_LOG", "-") or None  # empty: no access log
errorlog = os.environ.get("ENGAGE_ERROR_LOG", "-")
loglevel = "info"
# gunicorn's control socket (gunicornc) is not used, and one per home folder would collide
# between several servers on one box.
control_socket_disable = True
# The request id ties an access line to the error log's lines of the same request. No client
# IP: engage keeps readers' IPs only as keyed hashes, its logs included.
access_log_format = '"%(r)s" %(s)s %(B)s %(M)sms "%(a)s" id=%({x-request-id}o)s'


def on_starting(server):  # noqa: ANN001, ANN201 - gunicorn's hook signature
    """Refuse several processes counting rate limits each in its own memory."""
    allow = os.environ.get("ENGAGE_ALLOW_PER_PROCESS_LIMITS", "").lower() in {"1", "true", "yes"}
    reason = refusal(_settings, server.cfg.workers, allow)
    if reason:
        server.log.error("engage: refusing to start: %s", reason)
        sys.exit(f"engage: refusing to start: {reason}")


def post_worker_init(worker):  # noqa: ANN001, ANN201 - gunicorn's hook signature
    """Warm each worker up (engage.serving.warm_up)."""
    from engage.serving import warm_up

    warm_up(worker.wsgi)


_outbox_worker = None  # `engage serve --with-worker`: the arbiter owns an `engage worker`


def when_ready(server):  # noqa: ANN001, ANN201 - gunicorn's hook signature
    """Start the outbox worker beside the web processes when asked (a single box)."""
    global _outbox_worker
    if os.environ.get("ENGAGE_WITH_WORKER") == "1" and _outbox_worker is None:
        import subprocess

        _outbox_worker = subprocess.Popen(
            [sys.executable, "-c", "from engage.cli import main; main()", "worker"])
        server.log.info("engage: outbox worker started (pid %s)", _outbox_worker.pid)


def on_exit(server):  # noqa: ANN001, ANN201 - gunicorn's hook signature
    """Stop the outbox worker with the server: it finishes the message in hand."""
    import subprocess

    if _outbox_worker is not None and _outbox_worker.poll() is None:
        _outbox_worker.terminate()
        try:
            _outbox_worker.wait(15)
        except subprocess.TimeoutExpired:
            _outbox_worker.kill()

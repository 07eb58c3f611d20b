"""gunicorn's settings for the Procfile's `web`: fail-safe config, the app's log format, metrics.

- The configuration is checked here, when gunicorn reads this file, before it logs or forks
  anything: a refusal is one line on stderr and exit status 1, instead of every worker failing
  to boot with a traceback. Log records are redacted (no token, no query-string secret).
- Logs: gunicorn's own lines (start, worker boots, timeouts) go through the app's formatter
  (LOG_FORMAT: JSON in production); gunicorn's access log is off because the app writes one
  line per request itself, with its request id, user id, path (never the query string) and
  duration.
- Metrics: every gunicorn worker is a process of its own, so prometheus-client writes samples
  to PROMETHEUS_MULTIPROC_DIR and /metrics sums the folder. Unless the operator set one (to
  share it with a worker or clock on the same host; empty it before starting them), a fresh
  temporary folder is made here, before any worker imports prometheus-client.
- Tail latency: each worker freezes what loading the app allocated (post_worker_init).
"""

import os
import tempfile

if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="hearth-metrics-")

# (imported after the folder is set: see above)
from api import redaction
from api.hardening import config_or_exit
from api.observability.logs import gunicorn_logconfig

_config = config_or_exit()
# Workers fork from the master: their logs are redacted too.
redaction.install()

wsgi_app = "api:create_app()"
bind = f"0.0.0.0:{os.environ.get('PORT') or '8000'}"
workers = int(os.environ.get("WEB_CONCURRENCY") or "2")
accesslog = None
# Should an operator turn gunicorn's access log on (--access-logfile), the request line goes
# without its query string: a `?access_token=` never reaches it.
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(L)s'
logconfig_dict = gunicorn_logconfig(level=_config.LOG_LEVEL, log_format=_config.log_format)


def child_exit(server: object, worker: object) -> None:
    """A dead worker's live gauges leave the sum (its counters stay, as Prometheus expects)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)  # type: ignore[attr-defined]


def post_worker_init(worker: object) -> None:
    """Hide the loaded app's objects from the garbage collector (gc.freeze), once per worker.

    A worker holds ~180,000 objects once the app is loaded (modules, mappers, schemas); every
    full collection walked them all, ~75 ms in which the worker answers nobody: a request's
    p99. Frozen, a full collection walks only what requests left behind (api/gc_freeze.py).
    """
    from api.gc_freeze import freeze_loaded

    freeze_loaded()

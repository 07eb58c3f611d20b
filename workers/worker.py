"""The RQ worker class of the Procfile (`rq worker --worker-class workers.worker.HearthWorker`)."""

from __future__ import annotations

from rq import SimpleWorker


class HearthWorker(SimpleWorker):
    """SimpleWorker (one FCM client per process, not per forked job) that reconnects quickly.

    rq doubles its wait between Redis reconnects up to 60 s, so a worker could sit idle for a
    minute after Redis came back; capped at 2 s, delivery resumes within seconds (issue 16).
    """

    max_connection_wait_time = 2.0

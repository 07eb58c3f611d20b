"""A one-second schedule for the clock tests (workers/clock.py loads it like workers/cron.py)."""

from rq import cron

from workers import scheduler

cron.register(scheduler.sweep_pending, "hearth", interval=1, job_timeout=60)

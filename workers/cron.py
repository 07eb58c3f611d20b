"""The clock's schedule, read by `rq cron workers/cron.py` (and by the embedded clock thread)."""

from rq import cron

from workers import pairing_jobs, scheduler

QUEUE = "hearth"

cron.register(scheduler.sweep_pending, QUEUE, interval=60, job_timeout=120)
cron.register(pairing_jobs.purge_unpaired_couples, QUEUE, interval=3600, job_timeout=600)

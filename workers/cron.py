"""The clock's schedule, read by `python -m workers.clock` (workers/clock.py) and embedded.

The clock only enqueues; a worker runs the jobs. Every job is safe to run twice or from two
clocks at once (row locks and unique keys decide, not the schedule).
"""

from rq import cron

from workers import maintenance, pairing_jobs, scheduler

QUEUE = "hearth"

# Reminders are promised to the minute; a tick that overruns is harmless (SKIP LOCKED).
cron.register(scheduler.reminder_tick, QUEUE, interval=30, job_timeout=120)
# The evening at-risk push; a 5-minute tick is "at 20:00" to the couple.
cron.register(scheduler.streak_at_risk_tick, QUEUE, interval=300, job_timeout=240)
# Notifications still pending 10 s after they were due (Redis down at commit, worker died):
# every 10 s, so everything is delivered within 30 s of Redis coming back (issue 16).
cron.register(scheduler.sweep_pending, QUEUE, interval=10, job_timeout=120)
# FCM retries and quiet-hours holds as they fall due.
cron.register(
    maintenance.enqueue_due, QUEUE, interval=maintenance.ENQUEUE_DUE_EVERY_SECONDS, job_timeout=60
)
# Devices not refreshed for 270 days, once a day.
cron.register(maintenance.prune_stale_devices, QUEUE, cron="17 3 * * *", job_timeout=600)
# Couples unpaired more than 30 days ago, with their data.
cron.register(pairing_jobs.purge_unpaired_couples, QUEUE, interval=3600, job_timeout=600)

"""The clock's schedule, read by `python -m workers.clock` (workers/clock.py) and embedded.

The clock only enqueues; a worker runs the jobs. Every job is safe to run twice or from two
clocks at once (row locks and unique keys decide, not the schedule).
"""

from rq import cron

from workers import maintenance, memories_jobs, pairing_jobs, scheduler

# The default queue; workers/clock.py moves every job to QUEUE_NAME when it loads this.
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
# The Sunday 19:00 couple-local weekly recap, claimed by next_recap_at (SKIP LOCKED).
cron.register(scheduler.recap_tick, QUEUE, interval=60, job_timeout=240)
# "On this day" and anniversaries at 09:00 couple-local (claimed by next_due_at).
cron.register(memories_jobs.on_this_day_tick, QUEUE, interval=60, job_timeout=240)
# The storage-delete outbox: retries, and what a lost enqueue left.
cron.register(memories_jobs.delete_stored_objects, QUEUE, interval=60, job_timeout=240)
# Photo uploads never confirmed within a day.
cron.register(memories_jobs.cleanup_unconfirmed_uploads, QUEUE, interval=3600, job_timeout=600)
# The daily question's evening reminder at each couple's question_time (claims by index).
cron.register(scheduler.question_reminder_tick, QUEUE, interval=30, job_timeout=120)

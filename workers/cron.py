"""The clock's schedule, read by `rq cron workers/cron.py` (and by the embedded clock thread)."""

from rq import cron

from workers import scheduler

QUEUE = "hearth"

cron.register(scheduler.sweep_pending, QUEUE, interval=60, job_timeout=120)
# Reminders are promised to the minute; a tick that overruns is harmless (SKIP LOCKED).
cron.register(scheduler.reminder_tick, QUEUE, interval=30, job_timeout=120)

# streaks (issue 5): the evening at-risk push; a 5-minute tick is "at 20:00" to the couple.
cron.register(scheduler.streak_at_risk_tick, QUEUE, interval=300, job_timeout=240)

# Push delivery (workers/maintenance.py): retries and held pushes as they fall due, and the
# daily pruning of tokens not refreshed for 270 days.
from workers import maintenance  # noqa: E402

cron.register(
    maintenance.enqueue_due,
    QUEUE,
    interval=maintenance.ENQUEUE_DUE_EVERY_SECONDS,
    job_timeout=60,
)
cron.register(maintenance.prune_stale_devices, QUEUE, cron="17 3 * * *", job_timeout=600)

# Pairing (workers/pairing_jobs.py): purge the couples unpaired more than 30 days ago.
from workers import pairing_jobs  # noqa: E402

cron.register(pairing_jobs.purge_unpaired_couples, QUEUE, interval=3600, job_timeout=600)

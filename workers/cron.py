"""The clock's schedule, read by `rq cron workers/cron.py` (and by the embedded clock thread)."""

from rq import cron

from workers import scheduler

QUEUE = "hearth"

cron.register(scheduler.sweep_pending, QUEUE, interval=60, job_timeout=120)
# Reminders are promised to the minute; a tick that overruns is harmless (SKIP LOCKED).
cron.register(scheduler.reminder_tick, QUEUE, interval=30, job_timeout=120)

# streaks (issue 5): the evening at-risk push; a 5-minute tick is "at 20:00" to the couple.
cron.register(scheduler.streak_at_risk_tick, QUEUE, interval=300, job_timeout=240)

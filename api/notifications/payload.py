"""The data payload of a push: what the apps route on, the same keys in every category."""

from __future__ import annotations

from typing import Any

# The event a category's push reports when the code that wrote it named none. A writer may
# name a finer one (pairing says `paired` or `unpaired`); docs/guide.md lists them all.
DEFAULT_EVENTS = {
    "ritual_reminder": "reminder",
    "partner_checkin": "checked_in",
    "partner_nudge": "nudged",
    "pairing": "paired",
    "streak_milestone": "milestone",
    "streak_at_risk": "at_risk",
    "affirmation": "affirmation",
    "daily_question": "question",
    "mood": "mood",
    "memory": "on_this_day",
    "recap": "weekly_recap",
}


def push_data(
    *, category: str, notification_id: int, data: dict[str, Any] | None
) -> dict[str, str]:
    """The payload of one push: the writer's ids plus `category`, `notification_id`, `event`.

    FCM data values are strings, so every value is sent as one.
    """
    payload = {str(k): str(v) for k, v in (data or {}).items()}
    payload.setdefault("event", DEFAULT_EVENTS.get(category, category))
    payload.update(category=category, notification_id=str(notification_id))
    return payload

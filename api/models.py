"""Every model, imported in one place so Alembic and the app see the whole schema."""

from api.affirmations.models import (
    Affirmation,
    AffirmationMessage,
    DailySuggestion,
    GratitudeEntry,
)
from api.devices.models import Device
from api.notifications.models import Delivery, Notification
from api.pairing.models import Couple, Invite
from api.rituals import history  # noqa: F401  (the listener that records schedule history)
from api.rituals.models import Ritual, RitualSchedule, RitualTemplate
from api.streaks import pauses  # noqa: F401  (the listener that records pause spans)
from api.streaks.models import CheckIn, Nudge, RitualPause, StreakRecord
from api.users.models import User

__all__ = [
    "Affirmation",
    "AffirmationMessage",
    "CheckIn",
    "Couple",
    "DailySuggestion",
    "Delivery",
    "Device",
    "GratitudeEntry",
    "Invite",
    "Notification",
    "Nudge",
    "Ritual",
    "RitualPause",
    "RitualSchedule",
    "RitualTemplate",
    "StreakRecord",
    "User",
]

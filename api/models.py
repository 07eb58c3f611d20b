"""Every model, imported in one place so Alembic and the app see the whole schema."""

from api.affirmations.models import (
    Affirmation,
    AffirmationMessage,
    AffirmationText,
    DailySuggestion,
    GratitudeEntry,
)
from api.devices.models import Device
from api.notifications.models import Delivery, Notification
from api.pairing.models import Couple, Invite
from api.rituals.models import Ritual, RitualTemplate
from api.streaks import pauses  # noqa: F401  (the listener that records pause spans)
from api.streaks.models import CheckIn, Nudge, RitualPause, StreakRecord
from api.users.models import User

__all__ = [
    "Affirmation",
    "AffirmationMessage",
    "AffirmationText",
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
    "RitualTemplate",
    "StreakRecord",
    "User",
]

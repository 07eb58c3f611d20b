"""Every model, imported in one place so Alembic and the app see the whole schema."""

from api.affirmations.models import (
    Affirmation,
    AffirmationMessage,
    AffirmationText,
    DailySuggestion,
    GratitudeEntry,
)
from api.devices.models import Device
from api.memories import on_this_day, service  # noqa: F401  (listeners and signal receivers)
from api.memories.models import Memory, MemoryPhoto, OnThisDaySchedule, StorageDeletion
from api.moods.models import MoodEntry, MoodNeed, Need
from api.notifications.models import Delivery, Notification
from api.pairing.models import Couple, Invite
from api.questions import schedule  # noqa: F401  (keeps couples.next_question_at in step)
from api.questions.models import CoupleQuestion, EarlierAnswerClientId, Question, QuestionAnswer
from api.quotas.models import DailyQuota
from api.recaps import service as recap_schedule  # noqa: F401  (keeps recap_schedules in step)
from api.recaps.models import RecapSchedule
from api.rituals import history  # noqa: F401  (the listener that records schedule history)
from api.rituals.models import Ritual, RitualSchedule, RitualTemplate
from api.streaks import pauses  # noqa: F401  (the listener that records pause spans)
from api.streaks.models import CheckIn, Nudge, RitualPause, StreakRecord
from api.tombstones.models import Tombstone
from api.users.models import User

__all__ = [
    "Affirmation",
    "AffirmationMessage",
    "AffirmationText",
    "CheckIn",
    "Couple",
    "CoupleQuestion",
    "DailyQuota",
    "DailySuggestion",
    "Delivery",
    "Device",
    "EarlierAnswerClientId",
    "GratitudeEntry",
    "Invite",
    "Memory",
    "MemoryPhoto",
    "MoodEntry",
    "MoodNeed",
    "Need",
    "Notification",
    "Nudge",
    "OnThisDaySchedule",
    "Question",
    "QuestionAnswer",
    "RecapSchedule",
    "Ritual",
    "RitualPause",
    "RitualSchedule",
    "RitualTemplate",
    "StorageDeletion",
    "StreakRecord",
    "Tombstone",
    "User",
]

"""What each kind of push is: its preference switch, Android channel and delivery rules."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Category:
    name: str
    # The notification_preferences switch that silences it (recorded in the feed, not pushed).
    preference: str
    android_channel: str
    # Partner-triggered pushes wait for the end of the recipient's quiet hours.
    partner_triggered: bool
    # A newer push of this kind replaces an older one on the phone (collapse key + TTL).
    collapsible: bool
    priority: str = "normal"
    # About a couple, sent only while the recipient is still in it; pairing's own pushes
    # ("you are paired", "your partner unpaired") are about the pairing itself.
    about_couple: bool = True


CATEGORIES: dict[str, Category] = {
    c.name: c
    for c in (
        Category("ritual_reminder", "ritual_reminders", "ritual_reminders", False, True, "high"),
        Category("partner_checkin", "partner_activity", "partner_activity", True, False),
        Category("partner_nudge", "partner_activity", "partner_activity", True, True),
        Category(
            "pairing", "partner_activity", "partner_activity", True, False, about_couple=False
        ),
        Category("streak_milestone", "streaks", "streaks", False, False),
        Category("streak_at_risk", "streaks", "streaks", False, True),
        Category("affirmation", "affirmations", "affirmations", True, False),
        Category("daily_question", "daily_question", "daily_question", True, False),
        Category("mood", "moods", "moods", True, False),
        Category("memory", "memories", "memories", False, False),
        Category("recap", "recap", "recap", False, False),
    )
}

PREFERENCES = (
    "ritual_reminders",
    "partner_activity",
    "streaks",
    "affirmations",
    "daily_question",
    "moods",
    "memories",
    "recap",
)


def get(name: str) -> Category:
    """The category called name; an unknown name is a programming error."""
    return CATEGORIES[name]


def check(name: str, couple_id: int | None) -> Category:
    """The category called name, checked against the push's couple; a mismatch is a bug.

    Raises KeyError for an unknown name, ValueError when a push about a couple has no
    couple_id or one about the pairing itself has one.
    """
    category = CATEGORIES[name]
    if category.about_couple != (couple_id is not None):
        raise ValueError(f"a {name} push takes {'a' if category.about_couple else 'no'} couple_id")
    return category

"""Marshmallow fields for the API's conventions: UTC instants with Z, HH:MM, IANA zones."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time
from functools import cache
from typing import Any
from zoneinfo import available_timezones

import regex
from marshmallow import ValidationError, fields, validate

from api.i18n import N_

HHMM = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")
# The same rules as JSON Schema patterns, so the spec says what the code enforces (and a
# fuzzer's "valid" example is valid).
HHMM_PATTERN = "^([01][0-9]|2[0-3]):[0-5][0-9]$"
# An IANA name's shape (Area/Location[/Sub], or a bare name such as UTC); the code also checks
# the tz database, which a pattern cannot.
TIMEZONE_PATTERN = "^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+){0,2}$"


def _with_spec(kwargs: dict[str, Any], **spec: Any) -> dict[str, Any]:
    """kwargs with spec added to the field's metadata (what the caller gave wins)."""
    return {**kwargs, "metadata": {**spec, **kwargs.get("metadata", {})}}


# Names available_timezones() lists that are not zones anyone lives in: "localtime" is the
# host's /etc/localtime (a different zone on every server), "Factory" is tzdata's "-00"
# placeholder, "posixrules" a compiler default.
NOT_ZONES = frozenset({"localtime", "Factory", "posixrules"})


@cache
def known_timezones() -> frozenset[str]:
    """Every IANA zone of the tz database (the tzdata package ships it everywhere)."""
    return frozenset(available_timezones()) - NOT_ZONES


def is_timezone(name: object) -> bool:
    """Whether name is an IANA time zone: the one check, used by TimeZone and the schedule math."""
    return isinstance(name, str) and name in known_timezones()


class Instant(fields.DateTime):
    """An aware instant, always written as ISO 8601 UTC with Z."""

    def _serialize(self, value: datetime | None, attr: Any, obj: Any, **kwargs: Any) -> str | None:
        if value is None:
            return None
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> datetime:
        parsed = super()._deserialize(value, attr, data, **kwargs)
        if parsed.tzinfo is None:
            raise ValidationError(N_("Give an instant with a zone, e.g. 2026-03-29T06:30:00Z."))
        return parsed.astimezone(UTC)


class WallTime(fields.Field):
    """A wall-clock time, HH:MM."""

    default_error_messages = {"invalid": N_("Use HH:MM, 24-hour (e.g. 07:30).")}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            **_with_spec(
                kwargs,
                pattern=HHMM_PATTERN,
                example="07:30",
                description="Wall-clock time, HH:MM (24-hour).",
            )
        )

    def _serialize(self, value: time | None, attr: Any, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else value.strftime("%H:%M")

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> time:
        if not isinstance(value, str) or not HHMM.fullmatch(value):
            raise self.make_error("invalid")
        hours, minutes = value.split(":")
        return time(int(hours), int(minutes))


class TimeZone(fields.String):
    """An IANA time-zone name, checked against the tz database."""

    default_error_messages = {
        "unknown": N_("Unknown time zone; use an IANA name like Europe/Berlin.")
    }

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            **_with_spec(
                kwargs,
                pattern=TIMEZONE_PATTERN,
                example="Europe/Berlin",
                description=(
                    "An IANA time-zone name of the tz database (e.g. Europe/Berlin); "
                    "an unknown name is a 422."
                ),
            )
        )

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        name = super()._deserialize(value, attr, data, **kwargs)
        if not is_timezone(name):
            raise self.make_error("unknown")
        return name


ASCII_INTEGER = re.compile(r"-?[0-9]+")


class QueryInteger(fields.Integer):
    """An integer of a query string, in ASCII digits only.

    int() also reads Arabic-Indic or full-width digits, "1_0" and " 5 ", which no client means
    and another server would refuse.
    """

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> int:
        if isinstance(value, str) and not ASCII_INTEGER.fullmatch(value):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class JsonBoolean(fields.Boolean):
    """A request body's boolean: JSON's true or false only, not "yes", "on", 1 or "true"
    (marshmallow's Boolean takes them all, and 1 == True in Python)."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


# What shows nothing: Unicode's Default_Ignorable_Code_Point (zero-width space and joiners,
# variation selectors, combining grapheme joiner, Hangul fillers, tags, ...), whitespace,
# controls and format characters, and the Braille blank (a "symbol" to Unicode, blank to a
# reader). Judged per extended grapheme cluster (what a reader sees as one character), so an
# emoji keeps its U+FE0F and a flag its tags, while a lone selector or joiner is blank.
_BLANK_CLUSTER = regex.compile(r"[\p{Default_Ignorable_Code_Point}\s\p{Cc}\p{Cf}\p{Z}\u2800]+")
_GRAPHEME = regex.compile(r"\X")


def _blank(cluster: str) -> bool:
    return _BLANK_CLUSTER.fullmatch(cluster) is not None


def strip_blank(text: str) -> str:
    """text without the clusters that show nothing at its ends: text of only such characters
    becomes "", which lengths refuse."""
    clusters = _GRAPHEME.findall(text)
    start, end = 0, len(clusters)
    while start < end and _blank(clusters[start]):
        start += 1
    while end > start and _blank(clusters[end - 1]):
        end -= 1
    return "".join(clusters[start:end])


class Trimmed(fields.String):
    """Text a person wrote, the one field for it: blank ends stripped, then its length checked.

    Every text shown to the partner or in a push uses it, so text that shows nothing (spaces,
    zero-width or bidi marks) is refused, or stored empty where min_length is 0, everywhere
    alike (tests/hardening/test_blank_text.py walks the request schemas).
    """

    def __init__(
        self, *, max_length: int, min_length: int = 1, error: str | None = None, **kwargs: Any
    ) -> None:
        # A validator, not a check in _deserialize: it runs on the stripped text and the spec
        # shows the bounds.
        length = validate.Length(min=min_length or None, max=max_length, error=error)
        super().__init__(validate=length, **kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        return strip_blank(super()._deserialize(value, attr, data, **kwargs))


CALENDAR_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


class CalendarDay(fields.Date):
    """A calendar day, YYYY-MM-DD only: Python's ISO parser also reads 20260304 and 2026-W10-3,
    which another server would refuse."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, str) or not CALENDAR_DAY.fullmatch(value):
            raise self.make_error("invalid", input=value, obj_type=self.OBJ_TYPE)
        return super()._deserialize(value, attr, data, **kwargs)

"""marshmallow's messages in the reader's language, with their parameters.

marshmallow hands Hearth its messages already formatted in English ("Length must be between 1
and 80."). Each message it can emit is listed here as a msgid: a fixed one is translated as it
is; a parameterised one is matched back to marshmallow's template, and its msgid rendered with
the same parameters (numbers in the reader's notation, choices as the client must send them).
tests/i18n/test_schema_messages.py walks the spec's request schemas to keep this list whole.
"""

from __future__ import annotations

import functools
import re
from decimal import Decimal, InvalidOperation

from babel.numbers import format_decimal
from marshmallow import validate

from api.i18n import N_, language_of, translate

# The fixed messages of marshmallow's schemas, fields and validators.
FIXED = (
    N_("Missing data for required field."),
    N_("Unknown field."),
    N_("Invalid input type."),
    N_("Invalid type."),
    N_("Invalid input."),
    N_("Field may not be null."),
    N_("Invalid value."),
    N_("Not a valid string."),
    N_("Not a valid utf-8 string."),
    N_("Not a valid integer."),
    N_("Not a valid number."),
    N_("Number too large."),
    N_("Special numeric values (nan or infinity) are not permitted."),
    N_("Not a valid boolean."),
    N_("Not a valid date."),
    N_("Not a valid datetime."),
    N_("Not a valid time."),
    N_("Not a valid list."),
    N_("Not a valid mapping type."),
    N_("Not a valid UUID."),
    N_("Not a valid URL."),
    N_("Not a valid email address."),
    N_("String does not match expected pattern."),
)

_R = validate.Range
# marshmallow's template (its {name} placeholders) -> the msgid saying it (%(name)s).
PARAMETERISED = {
    validate.Length.message_min: N_("Shorter than minimum length %(min)s."),
    validate.Length.message_max: N_("Longer than maximum length %(max)s."),
    validate.Length.message_all: N_("Length must be between %(min)s and %(max)s."),
    validate.Length.message_equal: N_("Length must be %(equal)s."),
    _R.message_min.format(min_op=_R.message_gte): N_("Must be greater than or equal to %(min)s."),
    _R.message_min.format(min_op=_R.message_gt): N_("Must be greater than %(min)s."),
    _R.message_max.format(max_op=_R.message_lte): N_("Must be less than or equal to %(max)s."),
    _R.message_max.format(max_op=_R.message_lt): N_("Must be less than %(max)s."),
    _R.message_all.format(min_op=_R.message_gte, max_op=_R.message_lte): N_(
        "Must be greater than or equal to %(min)s and less than or equal to %(max)s."
    ),
    _R.message_all.format(min_op=_R.message_gte, max_op=_R.message_lt): N_(
        "Must be greater than or equal to %(min)s and less than %(max)s."
    ),
    _R.message_all.format(min_op=_R.message_gt, max_op=_R.message_lte): N_(
        "Must be greater than %(min)s and less than or equal to %(max)s."
    ),
    _R.message_all.format(min_op=_R.message_gt, max_op=_R.message_lt): N_(
        "Must be greater than %(min)s and less than %(max)s."
    ),
    validate.OneOf.default_message: N_("Must be one of: %(choices)s."),
    validate.Equal.default_message: N_("Must be equal to %(other)s."),
    validate.ContainsOnly.default_message: N_(
        "One or more of the choices you made was not in: %(choices)s."
    ),
    validate.ContainsNoneOf.default_message: N_(
        "One or more of the choices you made was in: %(values)s."
    ),
}
# Parameters that are numbers (a length, a bound): written the reader's way ("10.485.760").
NUMBERS = frozenset({"min", "max", "equal"})
_NUMBER = r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?"


@functools.cache
def _patterns() -> tuple[tuple[re.Pattern[str], str], ...]:
    """Each template as a pattern matching the messages marshmallow formats from it."""
    patterns = []
    for template, msgid in PARAMETERISED.items():
        pattern = re.escape(template)
        for name in re.findall(r"\{(\w+)\}", template):
            value = _NUMBER if name in NUMBERS else ".*"
            pattern = pattern.replace(re.escape("{" + name + "}"), f"(?P<{name}>{value})")
        patterns.append((re.compile(pattern, re.DOTALL), msgid))
    return tuple(patterns)


def _number(locale: str | None, text: str) -> str:
    try:
        number = Decimal(text)
    except InvalidOperation:
        return text
    # Unrounded: a bound of 0.0001 is not "0" (Babel keeps three decimals by default).
    return format_decimal(number, locale=language_of(locale), decimal_quantization=False)


def render(locale: str | None, message: str) -> str:
    """One message of a schema (marshmallow's or Hearth's own) in locale's language."""
    for pattern, msgid in _patterns():
        match = pattern.fullmatch(message)
        if match:
            params = {
                name: _number(locale, value) if name in NUMBERS else value
                for name, value in match.groupdict().items()
            }
            return translate(locale, msgid, **params)
    return translate(locale, message)

"""What the code enforces that marshmallow cannot say in the generated spec, said there too.

Field-level rules (HH:MM and time-zone patterns, the one-emoji bound, the check-in day) are in
the fields' metadata; rules across fields are added to the schema components here, once the
blueprints have registered them.
"""

from __future__ import annotations

from typing import Any

from flask_smorest import Api

# Component name -> JSON Schema keywords added to it.
CROSS_FIELD_RULES: dict[str, dict[str, Any]] = {
    # POST /v1/couple/affirmations: a library affirmation or one's own words, never both.
    "Send": {
        "description": "Either affirmation_id (a library affirmation) or text, not both.",
        "oneOf": [{"required": ["affirmation_id"]}, {"required": ["text"]}],
    },
    # PATCH bodies: an empty object changes nothing; no body at all is a 422.
    "MePatch": {"description": "The fields to change; {} changes nothing (no body: 422)."},
    "CouplePatch": {"description": "The fields to change; {} changes nothing (no body: 422)."},
    "RitualPatch": {"description": "The fields to change; {} changes nothing (no body: 422)."},
}


def apply(api: Api) -> None:
    """Add the cross-field rules to the registered schema components."""
    schemas = api.spec.components.schemas
    for name, keywords in CROSS_FIELD_RULES.items():
        if name in schemas:
            schemas[name].update(keywords)

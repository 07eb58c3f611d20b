"""Fixtures of the moods and recap tests: the needs content loaded, a paired couple."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from api.content.loader import load
from api.content.service import import_content
from api.extensions import db
from api.pairing.models import Couple
from api.users.models import User
from tests.factories import CoupleFactory, UserFactory

CONTENT = Path(__file__).resolve().parents[2] / "content"


@dataclass
class Couple2:
    client: FlaskClient
    couple: Couple
    alex: User
    sam: User


@pytest.fixture
def needs_content() -> None:
    """The shipped needs vocabulary (en, es) in the database."""
    import_content(db.session, load(CONTENT / "needs"))


@pytest.fixture
def pair(client: FlaskClient, clock: Any, needs_content: None) -> Couple2:
    """Alex (English) and Sam (Spanish), paired in Berlin on Monday 2 March 2026 (W10)."""
    clock.set(datetime(2026, 3, 2, 6, 0, tzinfo=UTC))
    alex = UserFactory(uid="alex", display_name="Alex", locale="en")
    sam = UserFactory(uid="sam", display_name="Sam", locale="es-ES")
    couple = CoupleFactory(a=alex, b=sam, timezone="Europe/Berlin")
    return Couple2(client, couple, alex, sam)

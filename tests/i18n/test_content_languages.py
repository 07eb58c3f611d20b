"""Content in every language the content files may hold, not only those with a gettext catalog.

The loader accepts needs and ritual-template translations in every locale of LOCALES (en, es,
de, fr, it, pt); a reader of such a locale reads them, as they read questions and affirmations.
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import yaml
from sqlalchemy import select

from api.content.loader import load
from api.content.service import import_content
from api.extensions import db
from api.notifications.models import Notification
from tests.conftest import auth
from tests.factories import CoupleFactory

CONTENT = Path(__file__).resolve().parents[2] / "content"


def _german(tmp_path: Path) -> Path:
    """The shipped content plus a German needs file and a German template translation."""
    root = tmp_path / "content"
    shutil.copytree(CONTENT, root)
    english = yaml.safe_load((CONTENT / "needs" / "en.yaml").read_text(encoding="utf-8"))
    needs = [
        {**need, "label": f"DE {need['label']}", "wish": "{name} DE", "suggestion": "DE tipp"}
        for need in english["needs"]
    ]
    (root / "needs" / "de.yaml").write_text(
        yaml.safe_dump({"locale": "de", "needs": needs}, allow_unicode=True), encoding="utf-8"
    )
    (root / "ritual_templates" / "de.yaml").write_text(
        yaml.safe_dump(
            {
                "locale": "de",
                "ritual_template_texts": [
                    {"key": "six-second-kiss", "title": "Sechs-Sekunden-Kuss", "description": "DE"}
                ],
            },
            allow_unicode=True,
        ),
        encoding="utf-8",
    )
    return root


def test_a_german_reader_gets_the_german_needs_and_templates(client, tmp_path, clock) -> None:
    import_content(db.session, load(_german(tmp_path)))
    CoupleFactory(a__uid="alex", a__locale="en", b__uid="lena", b__locale="de-AT")

    needs = client.get("/v1/needs", headers=auth("lena")).get_json()
    assert needs[0]["label"] == "DE Heard"
    assert {n["suggestion"] for n in needs} == {"DE tipp"}
    english = client.get("/v1/needs", headers=auth("alex")).get_json()
    assert english[0]["label"] == "Heard"  # the writer's language never leaks to the reader

    templates = client.get("/v1/ritual-templates", headers=auth("lena")).get_json()
    kiss = next(t for t in templates if t["key"] == "six-second-kiss")
    assert kiss["title"] == "Sechs-Sekunden-Kuss"

    # Alex (English) names a need: Lena's push is in her language's content.
    posted = client.post(
        "/v1/couple/moods",
        headers=auth("alex"),
        json={"mood": 2, "needs": ["heard"], "client_id": str(uuid.uuid4())},
    )
    assert posted.status_code == 201, posted.get_json()
    push = db.session.scalars(select(Notification).where(Notification.category == "mood")).one()
    assert push.body == "DE tipp"

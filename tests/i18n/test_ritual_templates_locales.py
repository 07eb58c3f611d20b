"""Ritual templates in the reader's language: content/ritual_templates/<locale>.yaml."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import pytest

from api.content.loader import ContentError, load
from api.content.service import import_content
from api.extensions import db
from tests.conftest import auth
from tests.factories import CoupleFactory, UserFactory

CONTENT = Path(__file__).resolve().parents[2] / "content"


@pytest.fixture
def shipped():
    content = load(CONTENT)
    report = import_content(db.session, content)
    assert report.template_texts.updated == len(content.templates)
    return content


def templates(client, uid: str) -> dict[str, dict]:
    response = client.get("/v1/ritual-templates", headers=auth(uid))
    assert response.status_code == 200
    return {t["key"]: t for t in response.get_json()}


@pytest.mark.parametrize(("locale", "spanish"), [("es", True), ("es-MX", True), ("nl", False)])
def test_templates_are_listed_in_the_readers_language(client, shipped, locale, spanish):
    UserFactory(uid="reader", locale=locale)
    english = {t.key: t for t in shipped.templates}
    translated = {t.key: t for t in shipped.template_texts if t.locale == "es"}

    listed = templates(client, "reader")

    assert listed.keys() == english.keys()
    for key, item in listed.items():
        source = translated[key] if spanish else english[key]
        assert (item["title"], item["description"]) == (source.title, source.description)
        assert item["schedule"]["time"] == english[key].time.strftime("%H:%M")


def test_a_ritual_from_a_template_is_titled_in_its_creators_language(client, shipped):
    CoupleFactory(a__uid="ana", a__locale="es", b__uid="tom", b__locale="en")
    created = client.post(
        "/v1/couple/rituals",
        headers=auth("ana"),
        json={"client_id": str(uuid.uuid4()), "template_key": "six-second-kiss"},
    )

    assert created.status_code == 201
    assert created.get_json()["title"] == "Beso de seis segundos"
    assert created.get_json()["template_key"] == "six-second-kiss"


def test_a_translation_file_alone_updates_only_its_locale(client, shipped, tmp_path):
    spanish = tmp_path / "es.yaml"
    shutil.copy(CONTENT / "ritual_templates/es.yaml", spanish)
    text = spanish.read_text(encoding="utf-8")
    start = text.index("  - key: six-second-kiss")
    end = text.index("  - key: morning-coffee")
    spanish.write_text(text[:start] + text[end:], encoding="utf-8")  # drop one translation

    report = import_content(db.session, load(spanish))

    assert report.template_texts.updated == 1
    assert report.templates.changed == 0
    UserFactory(uid="ana", locale="es")
    listed = templates(client, "ana")
    assert listed["six-second-kiss"]["title"] == "Six-second kiss"  # back to English
    assert listed["morning-coffee"]["title"] == "Café y conversación por la mañana"


def test_translation_files_are_validated(tmp_path):
    shutil.copy(CONTENT / "ritual_templates.yaml", tmp_path / "ritual_templates.yaml")
    (tmp_path / "es.yaml").write_text(
        "locale: es\nritual_template_texts:\n"
        "  - {key: no-such-template, title: Algo, description: Algo más}\n"
        "  - {key: six-second-kiss, title: Beso, description: Un beso, colour: red}\n"
        "  - {key: remember-when, title: '', description: Recuerdos}\n",
        encoding="utf-8",
    )
    (tmp_path / "en.yaml").write_text("locale: en\nritual_template_texts: []\n", encoding="utf-8")

    with pytest.raises(ContentError) as error:
        load(tmp_path)

    problems = "\n".join(error.value.problems)
    assert "item 'no-such-template': key: no template in ritual_templates has this key" in problems
    assert "item 'six-second-kiss': colour: unknown field" in problems
    assert "item 'remember-when': title:" in problems
    assert f"{tmp_path / 'en.yaml'}: locale: must be one of" in problems

"""A German, French, Italian or Portuguese reader gets pushes wholly in their language.

End to end through the API with the shipped content: the English partner pairs, makes a ritual
from a template and checks in, and names two needs; every push the reader gets is compared
whole, so an English sentence, a template title left in English or a lower-cased German noun
fails it.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from api.content.loader import load
from api.content.service import import_content
from api.extensions import db
from tests.conftest import auth

CONTENT = Path(__file__).resolve().parents[2] / "content"
TOM = auth("tom")

EXPECTED = {
    "de-DE": {
        "pairing": ("Hearth", "Tom hat deine Einladung angenommen. Ihr seid jetzt verbunden."),
        "partner_checkin": ("Sechs-Sekunden-Kuss", "Tom hat „Sechs-Sekunden-Kuss“ eingetragen"),
        "mood": (
            "Tom möchte sich heute gehört fühlen",
            "Frag, wie der Tag war, leg das Handy weg und hör einfach zu, ohne etwas lösen zu "
            "wollen.\nDazu noch 1 weiteres Bedürfnis: Öffne Hearth, um es zu sehen.",
        ),
        "error": "Schon verbunden",
    },
    "fr-FR": {
        "pairing": ("Hearth", "Tom a accepté ton invitation. Vos comptes sont maintenant liés."),
        "partner_checkin": (
            "Baiser de six secondes",
            "Tom a noté «\u00a0Baiser de six secondes\u00a0»",
        ),
        "mood": (
            "Tom a besoin d'écoute aujourd'hui",
            "Demande comment s'est passée la journée, pose ton téléphone et écoute, sans chercher "
            "à tout régler.\nEt encore 1 besoin\u00a0: ouvre Hearth pour le voir.",
        ),
        "error": "Compte déjà lié",
    },
    "it": {
        "pairing": (
            "Hearth",
            "Tom ha accettato il tuo invito. Ora i vostri account sono collegati.",
        ),
        "partner_checkin": ("Bacio di sei secondi", "Tom ha segnato «Bacio di sei secondi»"),
        "mood": (
            "Tom oggi ha bisogno di ascolto",
            "Chiedi com'è andata la giornata, metti via il telefono e ascolta e basta, senza voler "
            "risolvere niente.\nE ancora 1 bisogno: apri Hearth per vederlo.",
        ),
        "error": "Account già collegato",
    },
    "pt-BR": {
        "pairing": (
            "Hearth",
            "Tom aceitou seu convite. Agora as contas de vocês estão conectadas.",
        ),
        "partner_checkin": ("Beijo de seis segundos", "Tom registrou “Beijo de seis segundos”"),
        "mood": (
            "Tom está precisando de escuta hoje",
            "Pergunte como foi o dia, deixe o celular de lado e só escute, sem tentar resolver "
            "nada.\nE mais 1 necessidade: abra o Hearth para ver.",
        ),
        "error": "Conta já conectada",
    },
}


def feed(client, headers) -> dict[str, tuple[str, str]]:
    items = client.get("/v1/notifications", headers=headers).get_json()["items"]
    return {i["category"]: (i["title"], i["body"]) for i in items}


@pytest.mark.parametrize("locale", sorted(EXPECTED))
def test_every_push_to_the_reader_is_in_their_language(client, clock, locale):
    clock.set(datetime(2026, 3, 2, 12, 0, tzinfo=UTC))
    import_content(db.session, load(CONTENT))
    reader = auth("lena")
    client.patch("/v1/me", headers=reader, json={"locale": locale, "display_name": "Lena"})
    client.patch("/v1/me", headers=TOM, json={"locale": "en", "display_name": "Tom"})
    code = client.post("/v1/invites", headers=reader).get_json()["code"]
    assert client.post("/v1/couple", headers=TOM, json={"code": code}).status_code == 201

    # Tom makes the ritual from a template: titled in his language, "Six-second kiss".
    made = client.post(
        "/v1/couple/rituals",
        headers=TOM,
        json={"client_id": str(uuid.uuid4()), "template_key": "six-second-kiss"},
    )
    assert made.status_code == 201, made.get_json()
    ritual = made.get_json()
    assert ritual["title"] == "Six-second kiss"
    checked = client.post(
        f"/v1/couple/rituals/{ritual['id']}/check-ins",
        headers=TOM,
        json={"client_id": str(uuid.uuid4())},
    )
    assert checked.status_code == 201, checked.get_json()
    mood = client.post(
        "/v1/couple/moods",
        headers=TOM,
        json={"mood": 2, "needs": ["heard", "touched"], "client_id": str(uuid.uuid4())},
    )
    assert mood.status_code == 201, mood.get_json()

    got = feed(client, reader)
    expected = EXPECTED[locale]
    for category in ("pairing", "partner_checkin", "mood"):
        assert got[category] == expected[category], category
    conflict = client.post("/v1/invites", headers=reader)
    assert conflict.status_code == 409
    assert conflict.get_json()["title"] == expected["error"]

    # Lena checks in too: Tom reads Hearth's English title, run into his sentence.
    client.post(
        f"/v1/couple/rituals/{ritual['id']}/check-ins",
        headers=reader,
        json={"client_id": str(uuid.uuid4())},
    )
    assert feed(client, TOM)["partner_checkin"] == (
        "Six-second kiss",
        "Lena logged your six-second kiss",
    )


def test_a_need_missing_in_the_readers_language_leaves_the_push_wholly_english(
    client, clock, tmp_path
):
    """Content falls back to English per item; the sentence around it follows, never mixed."""
    import shutil

    clock.set(datetime(2026, 3, 2, 12, 0, tzinfo=UTC))
    root = tmp_path / "content"
    shutil.copytree(CONTENT, root)
    (root / "needs" / "de.yaml").unlink()
    import_content(db.session, load(root))
    reader = auth("lena")
    client.patch("/v1/me", headers=reader, json={"locale": "de", "display_name": "Lena"})
    client.patch("/v1/me", headers=TOM, json={"locale": "en", "display_name": ""})
    code = client.post("/v1/invites", headers=reader).get_json()["code"]
    assert client.post("/v1/couple", headers=TOM, json={"code": code}).status_code == 201

    client.post(
        "/v1/couple/moods",
        headers=TOM,
        json={"mood": 2, "needs": ["heard", "touched", "space"], "client_id": str(uuid.uuid4())},
    )

    title, body = feed(client, reader)["mood"]
    assert title == "Your partner would love to feel heard today"
    assert body.endswith("\nThey named 2 more needs: open Hearth to see them.")
    # And her pairing push, which is Hearth's own sentence, is German.
    assert feed(client, reader)["pairing"][1] == (
        "Dein Schatz hat deine Einladung angenommen. Ihr seid jetzt verbunden."
    )

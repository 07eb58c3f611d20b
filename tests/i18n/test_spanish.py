"""A Spanish user gets Spanish pushes, feed lines and errors, end to end through the API."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.conftest import auth
from workers.push import get_sender

ES = {**auth("lucia"), "Accept-Language": "en"}  # her locale wins over the header
EN = auth("tom")


def feed(client, headers) -> list[dict]:
    return client.get("/v1/notifications", headers=headers).get_json()["items"]


def paired(client, *, joiner_name: str = "Tom") -> None:
    client.patch("/v1/me", headers=ES, json={"locale": "es-ES", "display_name": "Lucía"})
    client.patch("/v1/me", headers=EN, json={"locale": "en", "display_name": joiner_name})
    client.post(
        "/v1/devices", headers=ES, json={"token": "lucia-phone:" + "x" * 40, "platform": "android"}
    )
    code = client.post("/v1/invites", headers=ES).get_json()["code"]
    assert client.post("/v1/couple", headers=EN, json={"code": code}).status_code == 201


def test_pairing_push_reaches_a_spanish_inviter_in_spanish(client, app, run_jobs):
    paired(client)
    run_jobs()

    [item] = feed(client, ES)
    assert (item["title"], item["body"]) == (
        "Hearth",
        "Tom aceptó tu invitación. Ya estáis vinculados.",
    )
    [pushed] = get_sender(app.extensions["hearth_config"]).sent[-1:]
    assert pushed.body == "Tom aceptó tu invitación. Ya estáis vinculados."


def test_a_missing_name_is_translated_too(client):
    paired(client, joiner_name="")

    [item] = feed(client, ES)
    assert item["body"] == "Tu pareja aceptó tu invitación. Ya estáis vinculados."


def test_check_in_and_nudge_pushes_follow_each_recipients_locale(client, clock):
    clock.set(datetime(2026, 3, 2, 12, 0, tzinfo=UTC))
    paired(client)
    ritual = client.post(
        "/v1/couple/rituals",
        headers=EN,
        json={
            "client_id": "0f1e2d3c-4b5a-4978-8a9b-0c1d2e3f4a5b",
            "title": "Six-second kiss",
            "schedule": {"days": ["mon"], "time": "18:00"},
            "completion": "both",
        },
    ).get_json()
    # The nudge first: once Tom has checked in, nudging him is refused (partner already done).
    nudged = client.post(f"/v1/couple/rituals/{ritual['id']}/nudge", headers=ES)
    assert nudged.status_code < 300, nudged.get_json()
    client.post(
        f"/v1/couple/rituals/{ritual['id']}/check-ins",
        headers=EN,
        json={"client_id": "7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d"},
    )

    to_lucia = [i["body"] for i in feed(client, ES) if i["category"] == "partner_checkin"]
    assert to_lucia == ["Tom registró «Six-second kiss»: te toca"]  # his words, as typed
    [to_tom] = [i for i in feed(client, EN) if i["category"] == "partner_nudge"]
    assert to_tom["body"] == "Lucía is waiting for your Six-second kiss"
    assert to_tom["title"] == "Six-second kiss"  # the couple's own title, as they wrote it


def test_errors_answer_in_the_senders_language(client):
    paired(client)

    conflict = client.post("/v1/invites", headers=ES)
    assert conflict.status_code == 409
    assert conflict.get_json()["title"] == "Ya tienes pareja"
    assert conflict.get_json()["detail"] == (
        "Ya tienes pareja; desvincúlate primero para invitar a otra persona."
    )
    # The same error for the English partner stays English.
    assert client.post("/v1/invites", headers=EN).get_json()["title"] == "Already paired"

    invalid = client.patch("/v1/me", headers=ES, json={"timezone": "Mars/Olympus"})
    assert invalid.status_code == 422
    body = invalid.get_json()
    assert body["detail"] == "El cuerpo o la consulta tienen campos no válidos; mira errors."
    assert body["errors"] == {
        "timezone": ["Zona horaria desconocida; usa un nombre IANA como Europe/Madrid."]
    }


def test_before_sign_in_accept_language_decides(client):
    response = client.get("/v1/me", headers={"Accept-Language": "es-MX,es;q=0.9,en;q=0.5"})

    assert response.status_code == 401
    assert response.get_json()["title"] == "No autenticado"
    assert response.get_json()["detail"] == "Envía Authorization: Bearer <token>."
    english = client.get("/v1/me")
    assert english.get_json()["title"] == "Unauthenticated"


def test_a_500_answers_in_spanish_without_detail(make_app):
    app = make_app()

    @app.get("/boom-es")
    def boom() -> str:
        raise RuntimeError("internal")

    response = app.test_client().get("/boom-es", headers={"Accept-Language": "es"})
    assert response.status_code == 500
    assert response.get_json()["title"] == "Error interno del servidor"
    assert response.get_json()["detail"] == "Algo falló por nuestra parte; ha quedado registrado."


def test_reminders_speak_each_partners_language_at_one_user_query_per_batch(client, app, clock):
    from sqlalchemy import event

    from api.extensions import db
    from api.rituals import reminders
    from tests.factories import CoupleFactory

    clock.set(datetime(2026, 3, 2, 12, 0, tzinfo=UTC))
    for n in range(3):
        CoupleFactory(a__uid=f"es{n}", a__locale="es", b__uid=f"en{n}", b__locale="en")
        client.post(
            "/v1/couple/rituals",
            headers=auth(f"es{n}"),
            json={
                "client_id": f"00000000-0000-4000-8000-00000000000{n}",
                "title": "Paseo",
                "schedule": {"days": ["mon"], "time": "18:00"},
                "reminder": {"enabled": True, "minutes_before": 10},
            },
        )
    statements: list[str] = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    clock.set(datetime(2026, 3, 2, 16, 50, 5, tzinfo=UTC))  # 17:50 in Berlin
    db.session.remove()
    event.listen(db.engine, "before_cursor_execute", record)
    try:
        result = reminders.run_due(db.session, moment=clock.current)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)

    assert result.notifications == 6
    user_reads = [s for s in statements if "FROM users" in s]
    assert len(user_reads) == 1, user_reads
    bodies = {i["body"] for i in feed(client, auth("es0"))} | {
        i["body"] for i in feed(client, auth("en0"))
    }
    assert bodies == {"En 10 min, a las 18:00.", "In 10 min, at 18:00."}


def test_a_locale_longer_than_its_column_is_a_422_not_a_500(client):
    from api.users.schemas import LOCALE_MAX

    tag = "dm-j51-E4QlDuMq-ZUL0l4-abcdefgh-abcd"  # well-formed, one character too long
    assert len(tag) == LOCALE_MAX + 1
    response = client.patch("/v1/me", headers=ES, json={"locale": tag})

    assert response.status_code == 422
    assert list(response.get_json()["errors"]) == ["locale"]


def test_a_limit_with_a_number_answers_in_spanish(client):
    from api.pairing.service import INVITES_PER_DAY

    client.patch("/v1/me", headers=ES, json={"locale": "es-ES"})
    for _ in range(INVITES_PER_DAY):
        assert client.post("/v1/invites", headers=ES).status_code == 201

    over = client.post("/v1/invites", headers=ES)
    assert over.status_code == 429
    assert int(over.headers["Retry-After"]) > 0
    assert over.get_json()["title"] == "Límite diario alcanzado"
    assert over.get_json()["detail"] == "Como mucho 20 códigos de invitación nuevos al día."


def test_a_field_message_with_a_parameter_answers_in_spanish(client):
    paired(client)

    response = client.post(
        "/v1/couple/moods",
        headers=ES,
        json={"mood": 3, "needs": ["zz-nope"], "client_id": "3c2b1a09-8f7e-4d6c-9b5a-4f3e2d1c0b9a"},
    )
    assert response.status_code == 422
    assert response.get_json()["errors"] == {"needs": ["Necesidades desconocidas: zz-nope."]}
    assert response.get_json()["detail"] == "needs: Necesidades desconocidas: zz-nope."
    english = client.post(
        "/v1/couple/moods",
        headers=EN,
        json={"mood": 3, "needs": ["zz-nope"], "client_id": "4d3c2b1a-0f9e-4d7c-8b6a-5f4e3d2c1b0a"},
    )
    assert english.get_json()["errors"] == {"needs": ["Unknown needs: zz-nope."]}

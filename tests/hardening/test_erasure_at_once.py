"""Finding 6: DELETE /v1/me erases every text the user wrote at once, from every table and
from the SQLite file itself (secure_delete, the write-ahead log folded in).

Before: the sent affirmation texts, gratitude entries and ritual texts stayed in the database
(authorless) until the 30-day purge. After: none of them is anywhere, in any table (walked
generically over db.metadata, so the tables of later domains are searched too) or in the bytes
of the database file.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from api.extensions import db
from tests.conftest import auth
from tests.pairing.util import pair

# Texts only the erased person ever wrote: searched for everywhere afterwards.
TEXTS = {
    "name": "Zephyrine Quokkaweather",
    "ritual_title": "Xylophone breakfast ritual",
    "ritual_description": "Qwertyuiop porridge talk",
    "note": "Jabberwock checkin note",
    "message": "Vorpal affirmation sentence",
    "gratitude": "Frabjous gratitude entry",
    "device": "zq-device-token-" + "k" * 40,
}


def _post(client: Any, uid: str, path: str, body: dict[str, Any] | None = None) -> Any:
    response = client.post(path, json=body, headers=auth(uid))
    assert response.status_code in (201, 202), (path, response.get_json())
    return response.get_json()


def _write_everything(client: Any) -> None:
    client.patch("/v1/me", json={"display_name": TEXTS["name"]}, headers=auth("zq"))
    _post(client, "zq", "/v1/devices", {"token": TEXTS["device"], "platform": "android"})
    pair(client, "partner", "zq")
    ritual = _post(
        client,
        "zq",
        "/v1/couple/rituals",
        {
            "title": TEXTS["ritual_title"],
            "description": TEXTS["ritual_description"],
            "schedule": {
                "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                "time": "08:00",
            },
            "client_id": str(uuid.uuid4()),
        },
    )
    _post(
        client,
        "zq",
        f"/v1/couple/rituals/{ritual['id']}/check-ins",
        {"client_id": str(uuid.uuid4()), "note": TEXTS["note"]},
    )
    _post(
        client,
        "zq",
        "/v1/couple/affirmations",
        {"text": TEXTS["message"], "client_id": str(uuid.uuid4())},
    )
    _post(
        client,
        "zq",
        "/v1/couple/gratitude",
        {"text": TEXTS["gratitude"], "client_id": str(uuid.uuid4())},
    )


def _rows_with_texts() -> list[str]:
    found = []
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(select(table)).mappings():
            for column, value in row.items():
                for key, text in TEXTS.items():
                    if text in str(value):
                        found.append(f"{table.name}.{column} holds the {key}")
    db.session.remove()
    return found


def _sqlite_files() -> list[Path]:
    url = db.engine.url
    if url.get_backend_name() != "sqlite" or not url.database:
        return []
    main = Path(url.database)
    return [p for p in (main, Path(f"{main}-wal"), Path(f"{main}-journal")) if p.exists()]


def test_every_text_the_user_wrote_is_gone_from_every_table_and_the_file(client, clock):
    clock.set(datetime(2026, 3, 30, 7, 0, tzinfo=UTC))  # a Monday morning in Berlin
    _write_everything(client)
    # The search finds them while they are there (else its silence below would prove nothing).
    assert len(_rows_with_texts()) >= len(TEXTS)

    assert client.delete("/v1/me", headers=auth("zq")).status_code == 204

    assert _rows_with_texts() == []
    for path in _sqlite_files():
        raw = path.read_bytes()
        left = [key for key, text in TEXTS.items() if text.encode() in raw]
        assert not left, f"{path.name} still holds the bytes of {left}"
    # The partner keeps their account, told without the name.
    feed = client.get("/v1/notifications", headers=auth("partner")).get_json()["items"]
    assert feed and all(TEXTS["name"] not in n["title"] + n["body"] for n in feed)


def test_sqlite_runs_with_secure_delete():
    if db.engine.url.get_backend_name() != "sqlite":
        return
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA secure_delete").scalar() == 1

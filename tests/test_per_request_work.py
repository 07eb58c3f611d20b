"""Work done once per process, never per request: building schemas, listing folders.

Each was found in a profile of the load benchmark (bench/api_load.py) as a per-request cost.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.conftest import auth
from tests.paired_couple import call, pair_in_berlin
from tests.view_arguments import view_arguments


@pytest.fixture
def couple(client: FlaskClient, clock: Any) -> dict[str, Any]:
    """Alex and Sam paired in Berlin, with two daily rituals."""
    return pair_in_berlin(client, clock)


def test_no_schema_is_built_per_request(
    client: FlaskClient, couple: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Schemas are built once, when the routes are: webargs builds a new instance on every
    request from a schema class (a fifth of a feed read's argument parsing), so the routes
    hand @blp.arguments instances."""
    import marshmallow

    ritual = couple["rituals"][1]
    requests = [
        ("GET", "/v1/notifications?limit=5", None),
        ("GET", f"/v1/couple/rituals/{ritual}/check-ins?limit=5", None),
        ("GET", "/v1/couple/recaps?limit=5", None),
        ("GET", "/v1/affirmations?limit=5", None),
        ("GET", "/v1/couple/memories?limit=5", None),
        ("GET", "/v1/couple/questions?limit=5", None),
        ("PATCH", "/v1/me", {"display_name": "Alex"}),
        ("POST", f"/v1/couple/rituals/{ritual}/check-ins", {"client_id": str(uuid.uuid4())}),
        ("POST", "/v1/notifications/read", {"up_to_id": 1}),
    ]
    built: list[str] = []
    real = marshmallow.Schema.__init__

    def counted(self: marshmallow.Schema, *args: Any, **kwargs: Any) -> None:
        built.append(type(self).__name__)
        real(self, *args, **kwargs)

    monkeypatch.setattr(marshmallow.Schema, "__init__", counted)
    for method, path, body in requests:
        response = client.open(path, method=method, json=body, headers=auth("alex"))
        assert response.status_code < 300, (path, response.get_json())
    assert built == []


def test_every_view_declares_its_arguments_with_a_schema_instance(app: Any) -> None:
    """The whole kind behind the test above, for every route and not only those it calls: a
    schema class given to @blp.arguments is instantiated by webargs on every request (3% of
    a paged read's CPU), an instance is built once, when the routes are."""
    classes = [
        f"{where}: {argument['schema'].__name__}"
        for where, argument in view_arguments(app)
        if isinstance(argument["schema"], type)
    ]
    assert list(view_arguments(app)), "no @blp.arguments found: the walk is broken"
    assert classes == []


def test_no_folder_is_listed_per_request(
    client: FlaskClient, couple: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """What is on disk (the translation catalogs) is read once per process, not per request:
    the catalogs' folder was listed on every request that rendered a message (a check-in's
    push text)."""
    import os

    ritual = couple["rituals"][1]
    call(client, "GET", "/v1/couple/streaks", "sam")  # warm: every cache filled once
    listed: list[str] = []
    real_listdir, real_scandir = os.listdir, os.scandir

    def listdir(path: Any = ".") -> list[str]:
        listed.append(str(path))
        return real_listdir(path)

    def scandir(path: Any = ".") -> Any:
        listed.append(str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "listdir", listdir)
    monkeypatch.setattr(os, "scandir", scandir)
    for uid in ("alex", "sam"):
        body = {"client_id": str(uuid.uuid4())}
        call(client, "POST", f"/v1/couple/rituals/{ritual}/check-ins", uid, body)
        call(client, "GET", "/v1/notifications", uid)
        call(client, "GET", "/v1/couple/streaks", uid)
    assert listed == []


def test_no_statement_is_compiled_per_request(
    client: FlaskClient, couple: dict[str, Any], app: Any
) -> None:
    """Every statement a request sends comes from SQLAlchemy's compiled cache once warm: one
    it cannot cache (a multi-row VALUES: the check-in's notifications were one) is compiled
    again on every request, as costly as the rest of the request's SQL work."""
    from sqlalchemy import event
    from sqlalchemy.engine.default import CACHE_HIT

    from api.extensions import db

    def requests(ritual: int) -> None:
        for uid in ("alex", "sam"):
            body = {"client_id": str(uuid.uuid4())}
            call(client, "POST", f"/v1/couple/rituals/{ritual}/check-ins", uid, body)
            for path in ("/v1/me", "/v1/couple", "/v1/notifications", "/v1/couple/streaks"):
                call(client, "GET", path, uid)

    first, second = couple["rituals"]
    requests(first)  # warm: each statement compiled once
    compiled: list[str] = []

    def spy(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: Any) -> None:
        if context is not None and context.compiled is not None and context.cache_hit != CACHE_HIT:
            compiled.append(f"{context.cache_hit.name}: {' '.join(statement.split())[:120]}")

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", spy)
    try:
        requests(second)  # the same requests on the other ritual
    finally:
        event.remove(engine, "before_cursor_execute", spy)
    assert compiled == []

"""Finding 2 (and the PATCH of "spec precision"): every body rule holds however the body
arrives, with Content-Length or chunked, on every method.

Before, with `Transfer-Encoding: chunked`: a NUL in a text was stored (201) on SQLite and a 500
on PostgreSQL, a lone surrogate a 500, 30,000-deep nesting a 500, a body to a body-less
endpoint accepted, a 20 MB body a 400, a DELETE's body ignored, and a PATCH without a body a
200. After: each is the same problem as with Content-Length (422, 422, 400, 422, 413, 422, 422).
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from api.affirmations.models import GratitudeEntry
from api.devices.models import Device
from api.extensions import db
from tests.conftest import auth
from tests.hardening.framing import FRAMINGS, send
from tests.pairing.util import pair

CID = "00000000-0000-4000-8000-000000000001"


def _problem(response, status: int) -> dict:
    assert response.status_code == status, (response.status_code, response.get_data()[:300])
    assert response.content_type == "application/problem+json"
    body = response.get_json()
    assert body["status"] == status
    return body


def _count(model) -> int:
    n = db.session.scalar(select(func.count()).select_from(model))
    db.session.remove()
    return n


@pytest.fixture
def couple(client):
    pair(client, "alex", "sam")
    return auth("alex")


@pytest.mark.parametrize("framing", FRAMINGS)
@pytest.mark.parametrize(
    ("escape", "what"), [(r"\u0000", "a NUL"), (r"\ud800", "a lone surrogate")]
)
def test_unstorable_text_is_422_and_nothing_is_stored(client, couple, framing, escape, what):
    raw = ('{"text": "thank you' + escape + '", "client_id": "' + CID + '"}').encode()
    body = _problem(
        send(client, "POST", "/v1/couple/gratitude", raw, framing=framing, headers=couple), 422
    )
    assert "text" in body["errors"], what
    assert _count(GratitudeEntry) == 0


@pytest.mark.parametrize("framing", FRAMINGS)
def test_nesting_deeper_than_the_parser_goes_is_400(client, framing):
    raw = b"[" * 30_000 + b"]" * 30_000  # 60,000 bytes: under the 64 KiB limit
    _problem(send(client, "PATCH", "/v1/me", raw, framing=framing, headers=auth("a")), 400)


@pytest.mark.parametrize("framing", FRAMINGS)
def test_a_20_mb_body_is_413(client, framing):
    raw = b'{"token": "' + b"x" * (20 * 1024 * 1024) + b'", "platform": "ios"}'
    _problem(send(client, "POST", "/v1/devices", raw, framing=framing, headers=auth("a")), 413)
    assert _count(Device) == 0


@pytest.mark.parametrize("framing", FRAMINGS)
def test_a_body_of_exactly_the_limit_is_read_not_refused(client, app, framing):
    limit = app.config["MAX_CONTENT_LENGTH"]
    head = b'{"display_name": "Al", "locale": "en"'
    raw = head + b" " * (limit - len(head) - 1) + b"}"
    assert len(raw) == limit
    response = send(client, "PATCH", "/v1/me", raw, framing=framing, headers=auth("a"))
    assert response.status_code == 200, response.get_json()


@pytest.mark.parametrize("framing", FRAMINGS)
@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/v1/me"), ("POST", "/v1/invites"), ("GET", "/v1/devices")],
)
def test_a_body_sent_to_an_endpoint_that_takes_none_is_422(client, framing, method, path):
    raw = b'{"is_admin": true}'
    body = _problem(send(client, method, path, raw, framing=framing, headers=auth("a")), 422)
    assert body["errors"] == {"is_admin": ["Unknown field."]}
    for empty in (b"{}", b"null", b"[]"):  # bodies too: the rule is "a body", not "a field"
        body = _problem(send(client, method, path, empty, framing=framing, headers=auth("a")), 422)
        assert body["errors"] == {"_body": ["This endpoint takes no request body."]}


@pytest.mark.parametrize("framing", FRAMINGS)
@pytest.mark.parametrize("raw", [b"x", b" ", b'{"unclosed": ', b"[" * 30_000])
@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/v1/me"), ("POST", "/v1/invites"), ("DELETE", "/v1/devices/999")],
)
def test_json_that_does_not_parse_where_no_body_is_taken_is_422_not_400(
    client, framing, raw, method, path
):
    """API.md: any body where none is taken is the 422; whether it parses does not matter."""
    response = send(client, method, path, raw, framing=framing, headers=auth("a"))
    body = _problem(response, 422)
    assert body["errors"] == {"_body": ["This endpoint takes no request body."]}


@pytest.mark.parametrize("framing", FRAMINGS)
def test_a_delete_with_a_body_is_422_and_deletes_nothing(client, framing):
    created = client.post(
        "/v1/devices", json={"token": "t" * 40, "platform": "ios"}, headers=auth("a")
    )
    path = f"/v1/devices/{created.get_json()['id']}"
    _problem(
        send(client, "DELETE", path, b'{"force": true}', framing=framing, headers=auth("a")), 422
    )
    assert _count(Device) == 1


@pytest.mark.parametrize("framing", FRAMINGS)
def test_a_body_that_is_not_json_is_415(client, framing):
    response = send(
        client,
        "PATCH",
        "/v1/me",
        b"display_name=Al",
        framing=framing,
        headers=auth("a"),
        content_type="application/x-www-form-urlencoded",
    )
    _problem(response, 415)


@pytest.mark.parametrize("framing", FRAMINGS)
@pytest.mark.parametrize("content_type", ["text/plain", None])
def test_a_body_of_any_type_where_none_is_taken_is_422(client, framing, content_type):
    """API.md: a body sent to an endpoint that takes none is a 422, JSON or not (it was 415)."""
    for method, path in (("GET", "/v1/me"), ("POST", "/v1/invites")):
        body = _problem(
            send(
                client,
                method,
                path,
                b"hello",
                framing=framing,
                headers=auth("a"),
                content_type=content_type,
            ),
            422,
        )
        assert "_body" in body["errors"]


@pytest.mark.parametrize("framing", FRAMINGS)
def test_malformed_json_is_400(client, framing):
    _problem(
        send(client, "PATCH", "/v1/me", b'{"display_name": ', framing=framing, headers=auth("a")),
        400,
    )


@pytest.mark.parametrize("framing", FRAMINGS)
def test_a_patch_without_a_body_is_422_not_a_silent_200(client, couple, framing):
    for path, headers in (("/v1/me", auth("a")), ("/v1/couple", couple)):
        body = _problem(send(client, "PATCH", path, b"", framing=framing, headers=headers), 422)
        assert "_body" in body["errors"]


def test_a_patch_with_an_empty_object_is_a_documented_no_op(client):
    before = client.get("/v1/me", headers=auth("a")).get_json()
    response = client.patch("/v1/me", json={}, headers=auth("a"))
    assert response.status_code == 200
    assert response.get_json() == before


@pytest.mark.parametrize("framing", FRAMINGS)
def test_a_valid_chunked_body_works_like_a_counted_one(client, framing):
    raw = b'{"token": "' + b"p" * 40 + b'", "platform": "android"}'
    response = send(client, "POST", "/v1/devices", raw, framing=framing, headers=auth("a"))
    assert response.status_code == 201, response.get_json()


def test_the_fuzzers_chunked_transport_carries_the_body(app):
    """tests/test_fuzz_api.py sends half its cases through AsChunked: the body does arrive."""
    from werkzeug.test import Client

    from tests.hardening.framing import AsChunked

    chunked = Client(AsChunked(app))
    good = {"token": "c" * 40, "platform": "web"}
    response = chunked.post("/v1/devices", json=good, headers=auth("fz"))
    assert response.status_code == 201, response.get_json()
    bad = chunked.post("/v1/devices", json={**good, "token": "c\x00" * 20}, headers=auth("fz"))
    assert bad.status_code == 422

"""Every error of the API has the one problem+json shape."""

from __future__ import annotations

import json

import pytest

from tests.conftest import auth


def assert_problem(response, status):
    assert response.status_code == status
    assert response.content_type == "application/problem+json"
    body = response.get_json()
    assert {"type", "title", "status", "detail"} <= body.keys()
    assert body["status"] == status
    return body


def test_unknown_route_is_404_problem(client):
    assert_problem(client.get("/v1/nothing-here", headers=auth("a")), 404)
    assert_problem(client.get("/nothing-here"), 404)


def test_wrong_method_is_405_problem(client):
    response = client.put("/v1/me", json={}, headers=auth("a"))
    assert_problem(response, 405)
    # RFC 9110: a 405 names the methods the resource has.
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "PATCH", "DELETE"}


def test_a_rate_limit_error_always_says_when_to_retry(make_app):
    from api.errors import RateLimited

    app = make_app()

    @app.get("/slow-down")
    def slow_down():
        raise RateLimited("Easy.", retry_after=0)

    response = app.test_client().get("/slow-down")
    assert_problem(response, 429)
    assert response.headers["Retry-After"] == "1"
    with pytest.raises(TypeError):
        RateLimited("no retry_after")  # type: ignore[call-arg]


def test_the_spec_documents_errors_as_problem_json(client):
    spec = client.get("/openapi.json").get_json()
    problem = spec["components"]["schemas"]["Problem"]
    assert set(problem["required"]) == {"type", "title", "status", "detail"}
    assert problem["properties"]["status"]["type"] == "integer"
    for name, response in spec["components"]["responses"].items():
        assert list(response["content"]) == ["application/problem+json"], name
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            for status, response in operation["responses"].items():
                if status.startswith(("4", "5")) and "content" in response:
                    assert list(response["content"]) == ["application/problem+json"], (
                        f"{method} {path} {status}"
                    )


def test_oversized_body_is_413_problem(client):
    big = {"token": "x" * (70 * 1024), "platform": "ios"}
    assert_problem(client.post("/v1/devices", json=big, headers=auth("a")), 413)


def test_non_json_body_is_415_problem(client):
    response = client.post(
        "/v1/devices",
        data="token=abc",
        content_type="application/x-www-form-urlencoded",
        headers=auth("a"),
    )
    assert_problem(response, 415)


def test_malformed_json_is_400_problem(client):
    response = client.post(
        "/v1/devices", data="{not json", content_type="application/json", headers=auth("a")
    )
    assert_problem(response, 400)


def test_validation_is_422_with_field_errors(client):
    body = assert_problem(client.patch("/v1/me", json={"locale": 5}, headers=auth("a")), 422)
    assert "locale" in body["errors"]


def test_500_never_leaks_a_traceback(make_app):
    app = make_app()
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    response = app.test_client().get("/boom")
    body = assert_problem(response, 500)
    assert "secret" not in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)
    assert body["title"] == "Internal Server Error"


@pytest.mark.parametrize("path", ["/v1/me", "/v1/devices", "/v1/notifications"])
def test_every_v1_path_needs_a_token(client, path):
    assert_problem(client.get(path), 401)


def test_json_nested_deeper_than_the_parser_goes_is_400_not_500(client):
    deep = "[" * 30_000 + "]" * 30_000  # under the 64 KiB limit
    response = client.patch("/v1/me", data=deep, content_type="application/json", headers=auth("a"))
    assert assert_problem(response, 400)["detail"] == "The request body is not valid JSON."


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ('{"display_name": "a\\u0000b"}', "display_name"),  # PostgreSQL stores no NUL
        ('{"display_name": "\\ud800"}', "display_name"),  # a lone surrogate is not UTF-8
        ('{"quiet_hours": {"start": "07:00", "end": "\\u0000"}}', "quiet_hours.end"),
        ('{"display_name": "ok", "\\u0000": 1}', "_body"),
    ],
)
def test_text_no_database_can_store_is_422_and_changes_nothing(client, raw, field):
    before = client.get("/v1/me", headers=auth("a")).get_json()
    response = client.patch("/v1/me", data=raw, content_type="application/json", headers=auth("a"))
    assert field in assert_problem(response, 422)["errors"]
    assert client.get("/v1/me", headers=auth("a")).get_json() == before


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("DELETE", "/v1/devices/{}"),
        ("GET", "/v1/couple/rituals/{}"),
        ("GET", "/v1/couple/rituals/{}/streak"),
        ("POST", "/v1/couple/affirmations/{}/read"),
        ("DELETE", "/v1/couple/gratitude/{}"),
    ],
)
@pytest.mark.parametrize("number", [2**31, 2**63, 10**30, 0])
def test_an_id_no_row_can_have_is_404_not_500(client, method, path, number):
    response = client.open(path.format(number), method=method, headers=auth("a"))
    assert_problem(response, 404)


@pytest.mark.parametrize("after", [10**30, 2**63, True, 0, -1, "7"])
def test_a_forged_cursor_is_422_not_500(client, after):
    import base64
    import json

    cursor = base64.urlsafe_b64encode(json.dumps({"after": after}).encode()).decode()
    response = client.get(f"/v1/notifications?cursor={cursor}", headers=auth("a"))
    assert "cursor" in assert_problem(response, 422)["errors"]


def test_a_huge_up_to_id_is_422_not_500(client):
    response = client.post("/v1/notifications/read", json={"up_to_id": 10**30}, headers=auth("a"))
    assert "up_to_id" in assert_problem(response, 422)["errors"]


@pytest.mark.parametrize("body", [{"inviter_id": 7}, [1], "code", {}, None])
def test_a_body_sent_to_an_endpoint_that_takes_none_is_422_and_changes_nothing(client, body):
    from sqlalchemy import func, select

    from api.extensions import db
    from api.pairing.models import Invite

    sent = json.dumps(body)  # `null` and `{}` are bodies too
    response = client.post(
        "/v1/invites", data=sent, content_type="application/json", headers=auth("a")
    )
    assert assert_problem(response, 422)["errors"]
    assert db.session.scalar(select(func.count()).select_from(Invite)) == 0
    # No body at all is what such an endpoint takes.
    assert client.post("/v1/invites", headers=auth("a")).status_code == 201


def test_no_such_method_is_405_whatever_the_body(client):
    form = client.put("/v1/me", data="a=b", content_type="text/plain", headers=auth("a"))
    assert_problem(form, 405)
    unknown = client.put("/v1/me", json={"anything": 1}, headers=auth("a"))
    assert_problem(unknown, 405)


def test_a_domain_rule_and_a_schema_answer_422_alike(client):
    """A client tells a 422 by one type and title, whether a schema or a domain rule said no."""
    from tests.factories import CoupleFactory, UserFactory

    CoupleFactory(a=UserFactory(uid="alex"), b=UserFactory(uid="sam"))
    body = {"title": "t", "client_id": "5f0c2a1e-8d5b-4c1e-9a7e-2b3c4d5e6f70"}
    by_rule = client.post(
        "/v1/couple/memories", json={**body, "happened_on": "2999-01-01"}, headers=auth("alex")
    )
    by_schema = client.post(
        "/v1/couple/memories", json={**body, "happened_on": "tomorrow"}, headers=auth("alex")
    )
    answers = [
        (r.status_code, r.get_json()["type"], r.get_json()["title"]) for r in (by_rule, by_schema)
    ]
    assert answers == [(422, "https://hearth.app/problems/validation", "Unprocessable Entity")] * 2
    assert [list(r.get_json()["errors"]) for r in (by_rule, by_schema)] == [["happened_on"]] * 2

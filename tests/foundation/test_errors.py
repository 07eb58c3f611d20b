"""Every error of the API has the one problem+json shape."""

from __future__ import annotations

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

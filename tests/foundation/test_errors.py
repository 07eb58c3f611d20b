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

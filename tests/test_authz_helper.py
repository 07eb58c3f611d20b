"""tests/authz.py must fail for each way an endpoint can leak another couple's object."""

from __future__ import annotations

import pytest
from flask import jsonify

from api.auth import current_user
from api.errors import NotFound
from tests.authz import assert_other_couple_gets_404
from tests.conftest import auth

OWNER = "owner"


@pytest.fixture
def toy(make_app):
    """An app with toy endpoints over one object that belongs to OWNER, and its state."""
    app = make_app()
    state = {"title": "ours"}

    def owner_only() -> None:
        if current_user().uid != OWNER:
            raise NotFound("No such thing.")

    @app.get("/v1/toy/1")
    def good():
        owner_only()
        return jsonify(state)

    @app.get("/v1/toy/999")
    def missing():
        raise NotFound("No such thing.")

    @app.get("/v1/leaky/1")
    def leaky():
        return jsonify(state)

    @app.patch("/v1/writes-anyway/1")
    def writes_anyway():
        state["title"] = "theirs"
        owner_only()
        return jsonify(state)

    @app.get("/v1/oracle/1")
    def oracle():
        if current_user().uid != OWNER:
            raise NotFound("That thing is someone else's.")
        return jsonify(state)

    @app.get("/v1/broken/1")
    def broken():
        raise NotFound("No such thing.")

    return app.test_client(), state


def check(client, state, method, path, **kwargs):
    assert_other_couple_gets_404(
        client,
        method,
        path,
        owner_headers=auth(OWNER),
        stranger_headers=[auth("stranger")],
        snapshot=lambda: dict(state),
        **kwargs,
    )


def test_passes_for_a_correct_endpoint(toy):
    client, state = toy
    check(client, state, "GET", "/v1/toy/1", missing_path="/v1/toy/999", owner_status=200)


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "complaint"),
    [
        ("GET", "/v1/leaky/1", {}, "200"),
        ("PATCH", "/v1/writes-anyway/1", {}, "changed the owner's data"),
        ("GET", "/v1/oracle/1", {"missing_path": "/v1/toy/999"}, "differently"),
        ("GET", "/v1/broken/1", {"owner_status": 200}, "prove nothing"),
    ],
)
def test_fails_for_each_kind_of_leak(toy, method, path, kwargs, complaint):
    client, state = toy
    with pytest.raises(AssertionError, match=complaint):
        check(client, state, method, path, **kwargs)

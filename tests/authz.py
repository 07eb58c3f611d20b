"""The authorization pattern, as one reusable assertion.

Hearth never takes a couple id from the path: `current_couple()` comes from the token, and
every couple-owned object is looked up within it. So for any endpoint that touches an object
of couple A, a user of couple B (or an unpaired user) must get the same 404 as for an object
that does not exist, and nothing may change. Use it for every couple-owned endpoint:

    from tests.authz import assert_other_couple_gets_404

    def test_other_couple_cannot_edit_a_ritual(client):
        ritual_id = ...  # made by alex, of couple A (alex + sam)
        assert_other_couple_gets_404(
            client,
            "PATCH",
            f"/v1/couple/rituals/{ritual_id}",
            json={"title": "Mine now"},
            owner_headers=auth("alex"),
            stranger_headers=[auth("bo"), auth("single")],  # bo: couple B; single: unpaired
            snapshot=lambda: client.get(
                f"/v1/couple/rituals/{ritual_id}", headers=auth("alex")
            ).get_json(),
            missing_path="/v1/couple/rituals/999999999",
            owner_status=200,
        )

What it checks, for each stranger:
- the answer is 404, application/problem+json, with the problem shape;
- with `missing_path`: the body equals what that stranger gets for an object that does not
  exist (the API is no oracle for "exists, but not yours");
- `snapshot()` is equal before and after every stranger's request (pass a GET as the owner,
  or a function returning the relevant database rows as plain values).

And with `owner_status`, last: the owner's same request answers that status. This proves the
404s were about ownership and not a broken endpoint, so the assertion can fail. The owner's
request may change the snapshot (that is the point of a PATCH); it is made after the checks.

A failure names the stranger (by its position and headers) and the request.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from flask.testing import FlaskClient

PROBLEM_KEYS = {"type", "title", "status", "detail"}


def assert_other_couple_gets_404(
    client: FlaskClient,
    method: str,
    path: str,
    *,
    owner_headers: Mapping[str, str],
    stranger_headers: Sequence[Mapping[str, str]],
    snapshot: Callable[[], Any],
    json: Any = None,
    missing_path: str | None = None,
    owner_status: int | None = None,
) -> None:
    """Each stranger gets a 404 problem (as for a missing object) and changes nothing."""
    assert stranger_headers, "give at least one stranger (a user of another couple)"
    for index, headers in enumerate(stranger_headers):
        who = f"stranger #{index} {dict(headers)} on {method} {path}"
        before = snapshot()
        response = client.open(path, method=method, json=json, headers=dict(headers))
        after = snapshot()
        assert response.status_code == 404, f"{who}: {response.status_code} {response.data!r}"
        assert response.content_type == "application/problem+json", who
        body = response.get_json()
        assert body.keys() >= PROBLEM_KEYS, f"{who}: not a problem body: {body}"
        assert body["status"] == 404, who
        assert after == before, f"{who} changed the owner's data:\n{before}\n->\n{after}"
        if missing_path is not None:
            missing = client.open(missing_path, method=method, json=json, headers=dict(headers))
            assert missing.status_code == 404, f"{who}: missing_path answers {missing.status_code}"
            assert missing.get_json() == body, (
                f"{who}: another couple's object answers differently from a missing one:\n"
                f"{body}\nvs\n{missing.get_json()}"
            )
            assert snapshot() == before, f"{who} changed the owner's data via missing_path"
    if owner_status is not None:
        response = client.open(path, method=method, json=json, headers=dict(owner_headers))
        assert response.status_code == owner_status, (
            f"the owner's {method} {path} answers {response.status_code}, not {owner_status}: "
            f"{response.data!r} (the strangers' 404s prove nothing if the endpoint is broken)"
        )

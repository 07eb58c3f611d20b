"""Every valid BCP 47 tag of a language with a catalog reads that catalog.

Phones send more than language-region: iOS adds a Unicode extension when the region setting
differs from the language's (`es-u-rg-mxzzzz`), and private-use subtags exist. The language
is the tag's first subtag, whatever follows it.
"""

from __future__ import annotations

import pytest

from api.errors import STATUS_TITLES
from api.i18n import translate
from tests.conftest import auth

ES = auth("lucia")
EN = auth("tom")


@pytest.mark.parametrize(
    "tag", ["es", "es-419", "es-u-rg-mxzzzz", "es-u-ca-gregory", "es-x-private", "es_MX-valencia"]
)
def test_a_spanish_tag_with_extensions_gets_spanish_pushes_and_errors(client, tag):
    assert client.patch("/v1/me", headers=ES, json={"locale": tag}).status_code == 200
    client.patch("/v1/me", headers=EN, json={"locale": "en", "display_name": "Tom"})
    code = client.post("/v1/invites", headers=ES).get_json()["code"]
    assert client.post("/v1/couple", headers=EN, json={"code": code}).status_code == 201

    [item] = client.get("/v1/notifications", headers=ES).get_json()["items"]
    assert item["body"] == "Tom aceptó tu invitación. Ya estáis vinculados."
    # Her errors too (the sender's locale decides them).
    problem = client.post("/v1/couple/moods", headers=ES, json={"mood": 9}).get_json()
    assert problem["title"] == translate("es", STATUS_TITLES[422]) != STATUS_TITLES[422]

"""/docs: Swagger UI served from the swagger-ui-bundle package installed with Hearth, no CDN.

flask-smorest renders the page (OPENAPI_SWAGGER_UI_PATH); its scripts and styles come from
here, so the docs work on a laptop with no internet. `API_DOCS=false` turns /docs off (the
spec stays at /openapi.json).
"""

from __future__ import annotations

from flask import Blueprint
from swagger_ui_bundle import swagger_ui_path

ASSETS_URL = "/docs/assets/"

blp = Blueprint(
    "docs_assets",
    __name__,
    static_folder=swagger_ui_path,
    static_url_path=ASSETS_URL.rstrip("/"),
)

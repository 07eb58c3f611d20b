"""/docs in a real headless Chromium with no network: the UI's assets come from Hearth itself.

The page is served by a real HTTP server on a local port; every request the browser makes to
anything but that server is refused and recorded, and the test asserts there were none and that
Swagger UI rendered one block per operation of the spec. In CI (CI=true) a missing browser is a
failure, not a skip: .ci/run installs Debian's chromium and the playwright package.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-sync",
    "--no-first-run",
    "--metrics-recording-only",
    # Any name but the local server resolves to nothing: a CDN could not answer even if asked.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]


def _browser_or_skip() -> object:
    """Playwright's sync API, or skip (fail in CI) when it or the browser is missing."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    missing = (
        "the playwright package"
        if sync_playwright is None
        else (None if Path(CHROMIUM).exists() or shutil.which(CHROMIUM) else CHROMIUM)
    )
    if missing:
        message = f"{missing} is not installed (apt-get install chromium; pip install playwright)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI must run the browser test: {message}")
        pytest.skip(message)
    return sync_playwright


@pytest.fixture
def served(app) -> Iterator[str]:
    """The test app on a real local port, in a thread."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


def test_docs_render_every_operation_offline(served, app, tmp_path):
    sync_playwright = _browser_or_skip()
    spec = app.test_client().get("/openapi.json").get_json()
    operations = [
        (method.upper(), path)
        for path, item in spec["paths"].items()
        for method in item
        if method in ("get", "put", "post", "patch", "delete")
    ]
    outside: list[str] = []
    errors: list[str] = []
    screenshot = Path(os.environ.get("HEARTH_DOCS_SCREENSHOT") or tmp_path / "docs.png")

    with sync_playwright() as playwright:  # type: ignore[operator]
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 2400})

            def guard(route):  # type: ignore[no-untyped-def]
                if route.request.url.startswith(served):
                    return route.continue_()
                outside.append(route.request.url)
                return route.abort()

            page.route("**/*", guard)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(f"{served}/docs", wait_until="networkidle")
            page.wait_for_selector(".opblock", timeout=30_000)
            blocks = page.locator(".opblock")
            rendered = {
                (
                    blocks.nth(i).locator(".opblock-summary-method").inner_text().strip(),
                    blocks.nth(i).locator(".opblock-summary-path").get_attribute("data-path"),
                )
                for i in range(blocks.count())
            }
            title = page.locator(".info .title").inner_text()
            page.screenshot(path=str(screenshot), full_page=False)
        finally:
            browser.close()

    print(f"\n/docs: {len(rendered)} operations rendered, title {title!r}, screenshot {screenshot}")
    assert outside == [], f"the page asked the network for {outside}"
    assert errors == []
    assert "Hearth API" in title
    assert rendered == set(operations)


def test_api_docs_false_turns_docs_off(make_app):
    client = make_app(API_DOCS=False).test_client()
    assert client.get("/docs").status_code == 404
    assert client.get("/docs/assets/swagger-ui-bundle.js").status_code == 404
    assert client.get("/openapi.json").status_code == 200


def test_docs_assets_come_from_the_app(client):
    page = client.get("/docs").get_data(as_text=True)
    assert "cdn" not in page.lower() and "https://" not in page
    assert client.get("/docs/assets/swagger-ui-bundle.js").status_code == 200
    assert client.get("/docs/assets/swagger-ui.css").status_code == 200

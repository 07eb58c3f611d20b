"""One storage suite, run against both backends: the local folder and S3 (moto's server).

The bytes travel the way the phone sends them: a real HTTP PUT (httpx) to the presigned URL,
to moto's S3 server on 127.0.0.1 or, for the local folder, to the app's own /storage routes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest

from api.config import Config, ConfigError
from api.storage import LocalStorage, S3Storage, build, check_key, sniff
from tests.memories.conftest import Backend, heic, jpeg, png, webp

KEY = "memories/1/2/abcDEF_123-x"


def _put(backend: Backend, key: str, data: bytes, content_type: str = "image/png") -> int:
    upload = backend.storage.presign_upload(
        key, content_type=content_type, size_bytes=len(data), expires_in=900
    )
    assert upload.method == "PUT"
    return backend.http.put(upload.url, content=data, headers=upload.headers).status_code


def test_a_presigned_put_stores_the_object_as_sent(backend: Backend) -> None:
    # 3 MB: far past the API's 64 KiB JSON body limit, which the upload route lifts for itself.
    data = png(3 * 1024 * 1024)
    assert _put(backend, KEY, data) == 200
    assert backend.storage.size(KEY) == 3 * 1024 * 1024
    assert backend.storage.first_bytes(KEY, 8) == data[:8]
    assert backend.keys() == [KEY]


def test_a_download_url_reads_the_object_with_its_type(backend: Backend) -> None:
    data = jpeg()
    assert _put(backend, KEY, data, "image/jpeg") == 200
    url = backend.storage.download_url(KEY, content_type="image/jpeg", expires_in=900)
    response = backend.http.get(url)
    assert response.status_code == 200
    assert response.content == data
    assert response.headers["content-type"] == "image/jpeg"


def test_delete_removes_the_object_and_is_idempotent(backend: Backend) -> None:
    assert _put(backend, KEY, png()) == 200
    assert _put(backend, "memories/1/3/other", png()) == 200
    backend.storage.delete(KEY)
    backend.storage.delete(KEY)  # already gone: not an error (the outbox may retry)
    assert backend.keys() == ["memories/1/3/other"]
    assert backend.storage.size(KEY) is None


def test_a_missing_object_has_no_size(backend: Backend) -> None:
    assert backend.storage.size("memories/9/9/nothing") is None
    assert backend.keys() == []


def test_keys_lists_by_prefix(backend: Backend) -> None:
    for key in ("memories/1/2/a", "memories/1/3/b", "memories/2/4/c"):
        assert _put(backend, key, png()) == 200
    assert backend.storage.keys("memories/1/") == ["memories/1/2/a", "memories/1/3/b"]


def test_urls_expire_and_name_their_type(backend: Backend) -> None:
    upload = backend.storage.presign_upload(
        KEY, content_type="image/webp", size_bytes=10, expires_in=900
    )
    assert upload.headers == {"Content-Type": "image/webp"}
    if isinstance(backend.storage, S3Storage):
        # moto does not check presigned signatures; real S3 does. What we can hold S3 to is
        # the URL itself: signed over the Content-Type, valid 15 minutes.
        query = parse_qs(urlsplit(upload.url).query)
        assert query["X-Amz-Expires"] == ["900"]
        assert "content-type" in query["X-Amz-SignedHeaders"][0].split(";")
        assert urlsplit(upload.url).path.endswith(KEY)


@pytest.mark.parametrize("backend", ["local"], indirect=True)
def test_the_local_folder_checks_signature_type_expiry_and_size(
    backend: Backend, clock: object
) -> None:
    """What S3 enforces on a presigned PUT, the app's own /storage routes enforce too."""
    clock.set(datetime(2026, 3, 4, 12, 0, tzinfo=UTC))  # type: ignore[attr-defined]
    store = backend.storage
    assert isinstance(store, LocalStorage)
    upload = store.presign_upload(KEY, content_type="image/png", size_bytes=10, expires_in=900)
    # Another Content-Type than the one signed: refused, nothing stored.
    wrong = backend.http.put(upload.url, content=png(), headers={"Content-Type": "image/gif"})
    assert wrong.status_code == 403
    assert wrong.headers["content-type"] == "application/problem+json"
    # A tampered token: refused.
    forged = backend.http.put(upload.url[:-3] + "AAA", content=png(), headers=upload.headers)
    assert forged.status_code == 403
    # Over 10 MB: refused while streaming, nothing kept.
    big = backend.http.put(
        upload.url, content=b"\0" * (10 * 1024 * 1024 + 1), headers=upload.headers
    )
    assert big.status_code == 413
    assert store.keys() == []
    # After its 15 minutes the URL is dead; a download URL likewise.
    clock.advance(minutes=15, seconds=1)  # type: ignore[attr-defined]
    late = backend.http.put(upload.url, content=png(), headers=upload.headers)
    assert late.status_code == 403
    assert store.keys() == []


@pytest.mark.parametrize("backend", ["local"], indirect=True)
def test_a_local_download_url_expires(backend: Backend, clock: object) -> None:
    clock.set(datetime(2026, 3, 4, 12, 0, tzinfo=UTC))  # type: ignore[attr-defined]
    assert _put(backend, KEY, png()) == 200
    url = backend.storage.download_url(KEY, content_type="image/png", expires_in=900)
    assert backend.http.get(url).status_code == 200
    clock.advance(seconds=901)  # type: ignore[attr-defined]
    assert backend.http.get(url).status_code == 403
    # A download token is not an upload token (and the other way round).
    upload_path = urlsplit(url).path.replace("/download/", "/upload/")
    assert (
        backend.http.put(
            upload_path, content=png(), headers={"Content-Type": "image/png"}
        ).status_code
        == 403
    )


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (png(), "image/png"),
        (jpeg(), "image/jpeg"),
        (webp(), "image/webp"),
        (heic(), "image/heic"),
        (b"GIF89a" + b"\0" * 40, None),
        (b"%PDF-1.7\n" + b"\0" * 40, None),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", None),
        (b"", None),
    ],
)
def test_the_type_comes_from_the_first_bytes(data: bytes, expected: str | None) -> None:
    assert sniff(data[:262]) == expected


@pytest.mark.parametrize("key", ["../etc/passwd", "memories/../../x", "/abs/path", "a", "m/x y"])
def test_keys_the_api_never_makes_are_refused(key: str) -> None:
    with pytest.raises(ValueError):
        check_key(key)


def test_the_config_picks_the_backend(tmp_path: object) -> None:
    s3 = build(Config.from_env({"STORAGE_BUCKET": "photos", "STORAGE_URL": "http://127.0.0.1:9"}))
    assert isinstance(s3, S3Storage)
    assert s3.bucket == "photos"
    local = build(Config.from_env({"STORAGE_DIR": str(tmp_path)}))
    assert isinstance(local, LocalStorage)
    with pytest.raises(ConfigError, match="STORAGE_BUCKET"):
        Config.from_env({"STORAGE_URL": "http://minio:9000"})

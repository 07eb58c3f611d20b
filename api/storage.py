"""Object storage for photos: one protocol, an S3 backend and a local-folder backend.

Bytes never pass through the API's request handlers on their way in: the API hands out a
short-lived presigned PUT, the phone uploads straight to the store, and the API then looks at
what was stored (size and first bytes). Production uses any S3-compatible store through
boto3 (`STORAGE_URL`, `STORAGE_BUCKET`, the usual AWS credential variables). The embedded
default keeps objects in a folder under instance/ and serves the upload and download URLs
from the app itself (`/storage/...`), signed with an expiry by itsdangerous, so the phone's
code path is the same.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import filetype
from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    has_request_context,
    request,
    send_file,
)
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer
from werkzeug.exceptions import NotFound

from api.clock import now
from api.config import INSTANCE_DIR, Config
from api.errors import STATUS_TITLES, problem
from api.i18n import N_, request_locale, translate

# Keys are made by the API (never by a client): a narrow alphabet keeps them safe as paths.
KEY_PATTERN = re.compile(r"[a-z0-9]+(/[A-Za-z0-9_-]+)+")
# Enough for every signature we accept (an ISO-BMFF ftyp box with its brands).
SNIFF_BYTES = 262
# What we store, keyed by the MIME type sniffed from the first bytes.
ACCEPTED_TYPES = ("image/jpeg", "image/png", "image/heic", "image/webp")
# The local folder refuses larger bodies outright (S3 cannot, from a presigned PUT: the
# confirmation's size check deletes what is too large there).
MAX_UPLOAD_BYTES = 10 * 1024 * 1024


class StorageError(RuntimeError):
    """The store failed or could not be reached: transient, worth a retry."""


@dataclass(frozen=True)
class PresignedUpload:
    """Where and how the phone sends the bytes."""

    url: str
    method: str
    headers: dict[str, str] = field(default_factory=dict)


class Storage(Protocol):
    """What the memories domain needs from an object store."""

    def presign_upload(
        self, key: str, *, content_type: str, size_bytes: int, expires_in: int
    ) -> PresignedUpload:
        """A URL the phone may PUT exactly this object to, until expires_in seconds from now."""
        ...

    def download_url(self, key: str, *, content_type: str, expires_in: int) -> str:
        """A URL that reads the object for expires_in seconds."""
        ...

    def size(self, key: str) -> int | None:
        """The stored object's size in bytes, or None when there is none."""
        ...

    def first_bytes(self, key: str, count: int) -> bytes:
        """The object's first count bytes (fewer if it is shorter)."""
        ...

    def copy(self, source: str, target: str) -> bool:
        """Copy one object to another key (replacing it); False when source is missing."""
        ...

    def delete(self, key: str) -> None:
        """Delete the object; deleting a missing object is not an error."""
        ...

    def keys(self, prefix: str = "") -> list[str]:
        """Every stored key under prefix (operations and tests)."""
        ...


def sniff(head: bytes) -> str | None:
    """The MIME type the first bytes say (JPEG, PNG, HEIC, WebP), or None for anything else."""
    kind = filetype.image_match(head)
    if kind is None or kind.mime not in ACCEPTED_TYPES:
        return None
    return kind.mime


def check_key(key: str) -> str:
    """key when it is one the API could have made; ValueError otherwise (no path tricks)."""
    if not KEY_PATTERN.fullmatch(key) or len(key) > 200:
        raise ValueError("not a storage key")
    return key


# -- S3 -----------------------------------------------------------------------------------------


def _no_such_key(error: Any) -> bool:
    """Whether a botocore ClientError says the object is not there (HEAD answers a bare 404)."""
    return error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound")


# Calls made while answering a request get one attempt with short timeouts: a hung store then
# costs a photo confirmation (three calls, under the photo's row lock) seconds and a 503, far
# under gunicorn's 30-s worker timeout. Jobs (the delete outbox) keep boto's retries and
# patience: nobody waits on them.
REQUEST_CLIENT = {
    "connect_timeout": 2,
    "read_timeout": 3,
    "retries": {"total_max_attempts": 1, "mode": "standard"},
}
BACKGROUND_CLIENT = {
    "connect_timeout": 5,
    "read_timeout": 10,
    "retries": {"max_attempts": 3, "mode": "standard"},
}


class S3Storage:
    """Any S3-compatible store, through boto3; the bucket stays private (presigned URLs only)."""

    def __init__(
        self, *, bucket: str, endpoint_url: str | None = None, region: str | None = None
    ) -> None:
        import boto3
        from botocore.config import Config as BotoConfig

        self.bucket = bucket

        def make_client(limits: dict[str, Any]) -> Any:
            return boto3.client(
                "s3",
                endpoint_url=endpoint_url,
                region_name=region or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1",
                config=BotoConfig(
                    signature_version="s3v4",
                    # Custom endpoints (MinIO, moto, most S3-compatibles) want path-style URLs.
                    s3={"addressing_style": "path" if endpoint_url else "auto"},
                    **limits,
                ),
            )

        self._request_client = make_client(REQUEST_CLIENT)
        self._background_client = make_client(BACKGROUND_CLIENT)

    @property
    def client(self) -> Any:
        """The boto3 client for the caller: the quick one inside a web request."""
        return self._request_client if has_request_context() else self._background_client

    def presign_upload(
        self, key: str, *, content_type: str, size_bytes: int, expires_in: int
    ) -> PresignedUpload:
        """A presigned PUT; Content-Type is part of the signature, so it must be sent as given."""
        url = self.client.generate_presigned_url(
            "put_object",
            Params={"Bucket": self.bucket, "Key": check_key(key), "ContentType": content_type},
            ExpiresIn=expires_in,
            HttpMethod="PUT",
        )
        return PresignedUpload(url=url, method="PUT", headers={"Content-Type": content_type})

    def download_url(self, key: str, *, content_type: str, expires_in: int) -> str:
        """A presigned GET that answers with the sniffed type."""
        return self.client.generate_presigned_url(
            "get_object",
            Params={
                "Bucket": self.bucket,
                "Key": check_key(key),
                "ResponseContentType": content_type,
            },
            ExpiresIn=expires_in,
        )

    def size(self, key: str) -> int | None:
        """HEAD the object."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            answer = self.client.head_object(Bucket=self.bucket, Key=check_key(key))
        except ClientError as exc:
            if _no_such_key(exc):
                return None
            raise StorageError(f"S3 HEAD failed: {exc}") from exc
        except BotoCoreError as exc:
            raise StorageError(f"S3 unreachable: {exc}") from exc
        return int(answer["ContentLength"])

    def first_bytes(self, key: str, count: int) -> bytes:
        """A ranged GET of the first count bytes."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            answer = self.client.get_object(
                Bucket=self.bucket, Key=check_key(key), Range=f"bytes=0-{count - 1}"
            )
            return answer["Body"].read(count)
        except (ClientError, BotoCoreError) as exc:
            raise StorageError(f"S3 GET failed: {exc}") from exc

    def copy(self, source: str, target: str) -> bool:
        """A server-side CopyObject (the bytes never pass through Hearth)."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.copy_object(
                Bucket=self.bucket,
                Key=check_key(target),
                CopySource={"Bucket": self.bucket, "Key": check_key(source)},
            )
        except ClientError as exc:
            if _no_such_key(exc):
                return False
            raise StorageError(f"S3 COPY failed: {exc}") from exc
        except BotoCoreError as exc:
            raise StorageError(f"S3 unreachable: {exc}") from exc
        return True

    def delete(self, key: str) -> None:
        """DELETE (S3 answers 204 for a missing key too)."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.delete_object(Bucket=self.bucket, Key=check_key(key))
        except (ClientError, BotoCoreError) as exc:
            raise StorageError(f"S3 DELETE failed: {exc}") from exc

    def keys(self, prefix: str = "") -> list[str]:
        """List the bucket (paged)."""
        found: list[str] = []
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            found.extend(item["Key"] for item in page.get("Contents", []))
        return found


# -- local folder ---------------------------------------------------------------------------------


class _ClockSigner(TimestampSigner):
    """Timestamps from api.clock, so a URL's age is measured on the same clock as the rest."""

    def get_timestamp(self) -> int:
        return int(now().timestamp())


UPLOAD_SALT = "hearth-storage-upload"
DOWNLOAD_SALT = "hearth-storage-download"


class LocalStorage:
    """Objects as files under a folder; the app itself serves signed, expiring URLs to them."""

    def __init__(self, *, root: Path, signing_key: str | None, base_url: Callable[[], str]) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)
        self._serializer = URLSafeTimedSerializer(
            signing_key or self._key_file(), signer=_ClockSigner
        )
        self._base_url = base_url

    def _key_file(self) -> str:
        # One key per folder, kept beside the objects: every process of `make run` (and a
        # restart) signs and checks alike, with no setting to forget.
        path = self.root / ".signing-key"
        if not path.exists():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_urlsafe(32))
        return path.read_text().strip()

    def path(self, key: str) -> Path:
        """The file holding key."""
        return self.root / check_key(key)

    def presign_upload(
        self, key: str, *, content_type: str, size_bytes: int, expires_in: int
    ) -> PresignedUpload:
        """A PUT to /storage/upload/<token>; the token names the key, type and largest size."""
        token = self._serializer.dumps(
            {"k": check_key(key), "t": content_type, "n": size_bytes, "e": expires_in},
            salt=UPLOAD_SALT,
        )
        return PresignedUpload(
            url=f"{self._base_url().rstrip('/')}/storage/upload/{token}",
            method="PUT",
            headers={"Content-Type": content_type},
        )

    def download_url(self, key: str, *, content_type: str, expires_in: int) -> str:
        """A GET of /storage/download/<token>."""
        token = self._serializer.dumps(
            {"k": check_key(key), "t": content_type, "e": expires_in}, salt=DOWNLOAD_SALT
        )
        return f"{self._base_url().rstrip('/')}/storage/download/{token}"

    def read_token(self, token: str, *, salt: str) -> dict[str, Any]:
        """The signed claims of a URL token; ValueError when forged, altered or expired."""
        try:
            # Checked twice: the signature's own age limit (the longest we ever grant), then
            # this token's own expiry, which is inside the signed payload.
            claims, signed_at = self._serializer.loads(
                token, salt=salt, max_age=24 * 3600, return_timestamp=True
            )
        except SignatureExpired as exc:
            raise ValueError("expired") from exc
        except BadSignature as exc:
            raise ValueError("bad signature") from exc
        if (now() - signed_at).total_seconds() > claims["e"]:
            raise ValueError("expired")
        check_key(claims["k"])
        return claims

    def write(self, key: str, chunks: Iterator[bytes], *, limit: int) -> int:
        """Store the chunks as key (replacing it); ValueError past limit bytes (nothing kept)."""
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + f".{secrets.token_hex(4)}.part")
        written = 0
        try:
            with partial.open("wb") as out:
                for chunk in chunks:
                    written += len(chunk)
                    if written > limit:
                        raise ValueError("too large")
                    out.write(chunk)
            partial.replace(target)  # atomic: a reader sees the old object or the whole new one
        finally:
            partial.unlink(missing_ok=True)
        return written

    def size(self, key: str) -> int | None:
        """The file's size."""
        try:
            return self.path(key).stat().st_size
        except FileNotFoundError:
            return None

    def first_bytes(self, key: str, count: int) -> bytes:
        """The file's first count bytes."""
        try:
            with self.path(key).open("rb") as source:
                return source.read(count)
        except FileNotFoundError:
            return b""

    def copy(self, source: str, target: str) -> bool:
        """Copy the file through a partial file, replaced atomically as write() does."""
        try:
            with self.path(source).open("rb") as data:
                self.write(target, iter(lambda: data.read(64 * 1024), b""), limit=2**63)
        except FileNotFoundError:
            return False
        return True

    def delete(self, key: str) -> None:
        """Remove the file (and the folders it leaves empty)."""
        target = self.path(key)
        target.unlink(missing_ok=True)
        folder = target.parent
        while folder != self.root:
            try:
                folder.rmdir()
            except OSError:  # not empty, or gone already
                break
            folder = folder.parent

    def keys(self, prefix: str = "") -> list[str]:
        """Every stored key under prefix."""
        found = []
        for path in self.root.rglob("*"):
            if path.is_file() and not path.name.startswith(".") and not path.name.endswith(".part"):
                key = path.relative_to(self.root).as_posix()
                if key.startswith(prefix):
                    found.append(key)
        return sorted(found)


# -- choosing the backend -----------------------------------------------------------------------

_EXTENSION_KEY = "hearth_storage"


def build(config: Config) -> Storage:
    """The store the config names: S3 when STORAGE_BUCKET is set, else the local folder."""
    if config.STORAGE_BUCKET:
        return S3Storage(bucket=config.STORAGE_BUCKET, endpoint_url=config.STORAGE_URL)
    root = Path(config.STORAGE_DIR) if config.STORAGE_DIR else INSTANCE_DIR / "storage"
    return LocalStorage(root=root, signing_key=config.STORAGE_SIGNING_KEY, base_url=_app_url)


def _app_url() -> str:
    """The app's own address: the request's, else the configured public URL."""
    from flask import has_request_context, request

    configured = current_app.extensions["hearth_config"].PUBLIC_URL
    if configured:
        return configured
    if has_request_context():
        return request.host_url
    return "http://127.0.0.1:8000/"


def init_app(app: Flask, config: Config) -> None:
    """Bind the configured store to app (made lazily: no client is built at import)."""
    app.extensions[_EXTENSION_KEY] = None
    app.extensions["hearth_storage_factory"] = lambda: build(config)


def get_storage() -> Storage:
    """The current app's store."""
    app = current_app
    store = app.extensions.get(_EXTENSION_KEY)
    if store is None:
        store = app.extensions["hearth_storage_factory"]()
        app.extensions[_EXTENSION_KEY] = store
    return store


def set_storage(app: Flask, store: Storage) -> None:
    """Use store for app (tests point the app at an S3 server of their own)."""
    app.extensions[_EXTENSION_KEY] = store


# -- the local folder's URLs, served by the app ----------------------------------------------------

local_files = Blueprint("storage", __name__, url_prefix="/storage")


def _local() -> LocalStorage:
    store = get_storage()
    if not isinstance(store, LocalStorage):
        # With S3 configured these URLs were never handed out.
        raise NotFound()
    return store


def _refuse(status: int, detail: str) -> Response:
    locale = request_locale()
    return problem(
        status, title=translate(locale, STATUS_TITLES[status]), detail=translate(locale, detail)
    )


@local_files.put("/upload/<token>")
def upload(token: str) -> Response:
    """Store the body under the key the token names (what a presigned S3 PUT does)."""
    store = _local()
    try:
        claims = store.read_token(token, salt=UPLOAD_SALT)
    except ValueError:
        return _refuse(403, N_("This upload URL is not valid or has expired."))
    # The signed type must be sent as signed, as S3 requires of a presigned PUT.
    if request.mimetype != claims["t"]:
        return _refuse(403, N_("Send the Content-Type header given with the upload URL."))
    # This one route takes bodies larger than the API's JSON limit (Flask 3.1: per request).
    request.max_content_length = MAX_UPLOAD_BYTES
    declared = request.content_length
    if declared is not None and declared > MAX_UPLOAD_BYTES:
        return _refuse(413, N_("A photo is at most 10 MB."))
    stream = request.stream
    try:
        store.write(claims["k"], iter(lambda: stream.read(64 * 1024), b""), limit=MAX_UPLOAD_BYTES)
    except ValueError:
        return _refuse(413, N_("A photo is at most 10 MB."))
    return Response(status=200)


@local_files.get("/download/<token>")
def download(token: str) -> Response:
    """Serve the object the token names, as the type it was checked to be."""
    store = _local()
    try:
        claims = store.read_token(token, salt=DOWNLOAD_SALT)
    except ValueError:
        return _refuse(403, N_("This download URL is not valid or has expired."))
    path = store.path(claims["k"])
    if not path.is_file():
        return _refuse(404, N_("No such object."))
    response = send_file(path, mimetype=claims["t"], max_age=0, conditional=False)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response

"""Push senders: the PushSender protocol, and FirebaseSender that talks to FCM HTTP v1."""

from __future__ import annotations

import email.utils
import logging
import threading
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from firebase_admin import App

log = logging.getLogger(__name__)

# FCM's send_each takes at most 500 messages per call.
MAX_BATCH = 500
FCM_ORIGIN = "https://fcm.googleapis.com"

# The codes FirebaseSender reports (FCM's error codes, plus the transport's own).
UNREGISTERED = "UNREGISTERED"
SENDER_ID_MISMATCH = "SENDER_ID_MISMATCH"
INVALID_ARGUMENT = "INVALID_ARGUMENT"
QUOTA_EXCEEDED = "QUOTA_EXCEEDED"
UNAVAILABLE = "UNAVAILABLE"
INTERNAL = "INTERNAL"
THIRD_PARTY_AUTH_ERROR = "THIRD_PARTY_AUTH_ERROR"
UNAUTHENTICATED = "UNAUTHENTICATED"  # our own OAuth token was refused


@dataclass(frozen=True)
class PushMessage:
    """One push to one device."""

    device_id: int
    token: str
    title: str
    body: str
    data: dict[str, str]
    category: str
    channel_id: str
    collapse_key: str | None = None
    ttl_seconds: int | None = None
    priority: str = "high"


@dataclass(frozen=True)
class PushResult:
    """What happened to one PushMessage."""

    device_id: int
    ok: bool
    message_id: str | None = None
    error_code: str | None = None
    retry_after: float | None = None
    # FCM's own words, kept as the notification's last_error.
    detail: str | None = None
    # INVALID_ARGUMENT blamed on the registration token (delete it) rather than on the message.
    invalid_token: bool = False


class PushSender(Protocol):
    """Sends pushes; one result per message, in order."""

    def send(self, messages: list[PushMessage]) -> list[PushResult]: ...


@dataclass
class FirebaseSender:
    """PushSender on firebase-admin's messaging.send_each (FCM HTTP v1).

    The firebase App is made on the first send, once per process, never at import time.
    `endpoint` replaces https://fcm.googleapis.com (tests point it at the fake server).
    """

    credentials_path: str | None = None
    project_id: str | None = None
    endpoint: str | None = None
    timeout_seconds: float = 10.0
    app_name: str = "hearth-push"
    clock: Callable[[], datetime] | None = None
    _app: App | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    @classmethod
    def from_config(cls, config: Any) -> FirebaseSender:
        """Build from api.config.Config (credentials, project, FCM_ENDPOINT, timeout)."""
        return cls(
            credentials_path=config.GOOGLE_APPLICATION_CREDENTIALS,
            project_id=config.FIREBASE_PROJECT_ID,
            endpoint=config.FCM_ENDPOINT,
            timeout_seconds=config.FCM_TIMEOUT_SECONDS,
        )

    # ---- the firebase App, once ------------------------------------------------------------------

    def app(self) -> App:
        """The firebase App of this sender, created on first use."""
        if self._app is None:
            with self._lock:
                if self._app is None:
                    self._app = self._make_app()
        return self._app

    def _make_app(self) -> App:
        import firebase_admin
        from firebase_admin import credentials, messaging

        try:
            return firebase_admin.get_app(self.app_name)
        except ValueError:
            pass
        cred = (
            credentials.Certificate(self.credentials_path)
            if self.credentials_path
            else credentials.ApplicationDefault()
        )
        options: dict[str, Any] = {"httpTimeout": self.timeout_seconds}
        if self.project_id:
            options["projectId"] = self.project_id
        app = firebase_admin.initialize_app(cred, options, name=self.app_name)
        service = messaging._get_messaging_service(app)
        origin = (self.endpoint or FCM_ORIGIN).rstrip("/")
        if self.endpoint:
            service._fcm_url = f"{origin}/v1/projects/{service._project_id}/messages:send"
        session = service._client.session
        session.mount(origin, _fcm_adapter())
        # google-auth refreshes the OAuth token and re-sends on every 401, and FCM answers 401
        # for THIRD_PARTY_AUTH_ERROR (APNs misconfigured): a batch of iOS pushes would then
        # hit the token endpoint twice per message. A 401 for our own token (UNAUTHENTICATED)
        # is handled in send() by refreshing once before the next batch.
        session._refresh_status_codes = ()
        return app

    def _fresh_credential(self, app: App, *, force: bool = False) -> None:
        """Fetch the OAuth token once before a batch, not once per thread of send_each."""
        from google.auth.transport.requests import Request

        credential = app.credential.get_credential()
        if force or not credential.valid:
            with self._lock:
                if force or not credential.valid:
                    credential.refresh(Request())

    # ---- sending -------------------------------------------------------------------------------

    def send(self, messages: list[PushMessage]) -> list[PushResult]:
        """Send every message (500 per FCM batch); one PushResult per message, in order."""
        from firebase_admin import messaging

        results: list[PushResult] = []
        app = self.app()
        now = (self.clock or _default_clock)()
        for start in range(0, len(messages), MAX_BATCH):
            chunk = messages[start : start + MAX_BATCH]
            fcm_messages = [to_fcm_message(m, now) for m in chunk]
            try:
                self._fresh_credential(app)
                batch = messaging.send_each(fcm_messages, app=app)
            except Exception as error:
                # e.g. the OAuth token could not be fetched: nothing was sent, try again later.
                log.exception("FCM batch of %d failed before sending", len(chunk))
                results.extend(
                    PushResult(m.device_id, ok=False, error_code=UNAVAILABLE, detail=str(error))
                    for m in chunk
                )
                continue
            chunk_results = [
                to_push_result(m, r, now) for m, r in zip(chunk, batch.responses, strict=True)
            ]
            results.extend(chunk_results)
            if any(r.error_code == UNAUTHENTICATED for r in chunk_results):
                # FCM refused our access token before its expiry (key rotated, clock skew):
                # the next batch, or the job's retry, goes with a new one.
                log.error("FCM refused the access token; refreshing it")
                self._fresh_credential(app, force=True)
        return results


def _default_clock() -> datetime:
    from api.clock import now

    return now()


def _fcm_adapter() -> Any:
    """The HTTP adapter for FCM: a pool as wide as firebase-admin's, and no status retries.

    firebase-admin retries 500/503 up to 4 times inside the call, sleeping for Retry-After
    while the worker waits. Hearth retries at the job level instead (backoff with jitter,
    Retry-After honoured, only the devices that failed), so a transient error is returned
    at once. Only a failed *connect* is retried here: nothing reached FCM, so it cannot
    double a message; a read timeout is not, because FCM may already have taken it.
    """
    import requests.adapters
    from urllib3.util.retry import Retry

    retry = Retry(
        total=1,
        connect=1,
        read=0,
        status=0,
        other=0,
        redirect=0,
        allowed_methods=None,
        raise_on_status=False,
    )
    return requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=100, max_retries=retry)


def to_fcm_message(m: PushMessage, now: datetime) -> Any:
    """The firebase-admin Message for one PushMessage."""
    from firebase_admin import messaging

    data = {**m.data, "category": m.category}
    high = m.priority == "high"
    # A copy resent after a crash replaces the one shown instead of stacking a second:
    # the category's collapse key where newer replaces older, else one tag per notification.
    nid = data.get("notification_id")
    tag = m.collapse_key or (f"n{nid}" if nid else None)
    apns_headers = {"apns-priority": "10" if high else "5"}
    if tag:
        apns_headers["apns-collapse-id"] = tag[:64]
    ttl = timedelta(seconds=m.ttl_seconds) if m.ttl_seconds is not None else None
    if ttl is not None:
        apns_headers["apns-expiration"] = str(int((now + ttl).timestamp()))
    with warnings.catch_warnings():
        # firebase-admin 7.7 deprecates `token` for `fid`; the apps still register FCM
        # registration tokens, which only `token` accepts (see docs/push.md).
        warnings.simplefilter("ignore", DeprecationWarning)
        return messaging.Message(
            token=m.token,
            notification=messaging.Notification(title=m.title, body=m.body),
            data=data,
            android=messaging.AndroidConfig(
                collapse_key=m.collapse_key,
                priority="high" if high else "normal",
                ttl=ttl,
                notification=messaging.AndroidNotification(channel_id=m.channel_id, tag=tag),
            ),
            apns=messaging.APNSConfig(
                headers=apns_headers,
                payload=messaging.APNSPayload(
                    aps=messaging.Aps(sound="default", thread_id=m.category)
                ),
            ),
        )


def to_push_result(m: PushMessage, response: Any, now: datetime) -> PushResult:
    """Map firebase-admin's SendResponse to a PushResult."""
    if response.success:
        return PushResult(m.device_id, ok=True, message_id=response.message_id)
    error = response.exception
    code = error_code(error)
    return PushResult(
        m.device_id,
        ok=False,
        error_code=code,
        retry_after=retry_after(error, now),
        detail=f"{code}: {error}",
        invalid_token=code == INVALID_ARGUMENT and _blames_token(error),
    )


def error_code(error: BaseException) -> str:
    """FCM's error code for a firebase-admin exception (its platform code otherwise)."""
    from firebase_admin import messaging

    by_type: Sequence[tuple[type[BaseException], str]] = (
        (messaging.UnregisteredError, UNREGISTERED),
        (messaging.SenderIdMismatchError, SENDER_ID_MISMATCH),
        (messaging.QuotaExceededError, QUOTA_EXCEEDED),
        (messaging.ThirdPartyAuthError, THIRD_PARTY_AUTH_ERROR),
    )
    for cls, code in by_type:
        if isinstance(error, cls):
            return code
    detail = _fcm_error_detail(error)
    if detail:
        return detail
    # INVALID_ARGUMENT, UNAVAILABLE, INTERNAL, DEADLINE_EXCEEDED, UNAUTHENTICATED, UNKNOWN ...
    return str(getattr(error, "code", "UNKNOWN"))


def _error_json(error: BaseException) -> dict[str, Any]:
    response = getattr(error, "http_response", None)
    if response is None:
        return {}
    try:
        body = response.json()
    except ValueError:
        return {}
    return body.get("error", {}) if isinstance(body, dict) else {}


def _fcm_error_detail(error: BaseException) -> str | None:
    for detail in _error_json(error).get("details", []):
        if detail.get("@type", "").endswith("google.firebase.fcm.v1.FcmError"):
            return detail.get("errorCode")
    return None


def _blames_token(error: BaseException) -> bool:
    """Whether an INVALID_ARGUMENT is about the registration token, not the message."""
    body = _error_json(error)
    for detail in body.get("details", []):
        for violation in detail.get("fieldViolations", []):
            if violation.get("field") in ("message.token", "message.fid"):
                return True
    return "registration token" in str(body.get("message", "")).lower()


def retry_after(error: BaseException, now: datetime) -> float | None:
    """Seconds from the Retry-After header of the error's HTTP response, if any."""
    response = getattr(error, "http_response", None)
    value = response.headers.get("Retry-After") if response is not None else None
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    parsed = email.utils.parsedate_to_datetime(value)
    if parsed is None:
        return None
    return max(0.0, (parsed - now).total_seconds())

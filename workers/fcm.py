"""FirebaseSender: pushes through firebase-admin's messaging.send (FCM HTTP v1), one per message.

Each message goes out through `messaging.send` (firebase-admin's own request, auth and error
mapping) on a pool of threads kept for the process's life. `send_each` does the same per
message, but starts a new thread per message on every call: kept threads send about a tenth
more messages per second (bench/push.py, the sender alone: medians ~970 vs ~880 msg/s).
`send_each_async` was slower still on one worker process. The firebase App is the process's
one App (api.firebase.get_app), created on the first send, never at import time, with
Config.FCM_TIMEOUT_SECONDS as its httpTimeout.
"""

from __future__ import annotations

import email.utils
import logging
import os
import threading
import warnings
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from api import firebase
from api.clock import now as clock_now
from api.config import Config
from workers.push import (
    INVALID_ARGUMENT,
    QUOTA_EXCEEDED,
    SENDER_ID_MISMATCH,
    THIRD_PARTY_AUTH_ERROR,
    UNAUTHENTICATED,
    UNAVAILABLE,
    UNKNOWN_OUTCOME,
    UNREGISTERED,
    PushMessage,
    PushResult,
)

if TYPE_CHECKING:
    from firebase_admin import App

log = logging.getLogger(__name__)

# Messages sent between two checks of the OAuth token.
MAX_BATCH = 500
# Messages in flight at once: about a delivery batch's messages (100 notifications, a device
# or two each), and no wider than the HTTP pool below, so no connection is reopened.
SEND_THREADS = 100
FCM_ORIGIN = "https://fcm.googleapis.com"


class FirebaseSender:
    """PushSender on firebase-admin messaging; one per process (see workers.push.get_sender)."""

    def __init__(self, config: Config) -> None:
        self._config = config
        self._lock = threading.Lock()
        self._configured: App | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._pool_pid = 0

    def app(self) -> App:
        """The firebase App, with its messaging client set up for Hearth (once)."""
        app = firebase.get_app(self._config)
        if self._configured is not app:
            with self._lock:
                if self._configured is not app:
                    _configure_messaging(app, self._config.FCM_ENDPOINT)
                    self._configured = app
        return app

    def send(self, messages: list[PushMessage]) -> list[PushResult]:
        """Send every message (the OAuth token checked every 500); one PushResult each, in order."""
        results: list[PushResult] = []
        if not messages:
            return results
        app = self.app()
        moment = clock_now()
        for start in range(0, len(messages), MAX_BATCH):
            chunk = messages[start : start + MAX_BATCH]
            fcm_messages = [to_fcm_message(m, moment) for m in chunk]
            try:
                self._fresh_credential(app)
            except Exception as error:
                # Nothing reached FCM (the OAuth token could not be fetched): every
                # message of the batch is retried later like any transient failure.
                log.exception("FCM batch of %d failed before sending", len(chunk))
                results.extend(
                    PushResult(m.device_id, ok=False, error_code=UNAVAILABLE, detail=str(error))
                    for m in chunk
                )
                continue
            futures = self._send_all(fcm_messages, app)
            chunk_results = [
                _result(m, future, moment) for m, future in zip(chunk, futures, strict=True)
            ]
            results.extend(chunk_results)
            if any(r.error_code == UNAUTHENTICATED for r in chunk_results):
                # FCM refused our access token before its expiry (key rotated or revoked):
                # the next batch, or the retry, goes out with a new one.
                log.error("FCM refused the OAuth access token; fetching a new one")
                self._fresh_credential(app, force=True)
        return results

    def _send_all(self, fcm_messages: list[Any], app: App) -> list[Future]:
        """Start sending each message on the pool; one future of (message id, error) each."""
        if self._pool is None or self._pool_pid != os.getpid():
            with self._lock:
                # A forked child inherits the object but not the threads: it makes its own.
                if self._pool is None or self._pool_pid != os.getpid():
                    self._pool = ThreadPoolExecutor(SEND_THREADS, thread_name_prefix="fcm-send")
                    self._pool_pid = os.getpid()
        return [self._pool.submit(_send_one, message, app) for message in fcm_messages]

    def _fresh_credential(self, app: App, *, force: bool = False) -> None:
        """Fetch the OAuth token once before a batch, not once per sending thread."""
        from google.auth.transport.requests import Request

        credential = app.credential.get_credential()
        if force or not credential.valid:
            with self._lock:
                if force or not credential.valid:
                    credential.refresh(Request())


def _configure_messaging(app: App, endpoint: str | None) -> None:
    """Point firebase-admin's messaging client at `endpoint` and set its retry policy.

    These are private attributes of firebase-admin 7 (pinned <8 in pyproject.toml); the
    request building, auth and error mapping stay firebase-admin's own. The fake-server
    tests fail loudly if an upgrade renames them.
    """
    import requests.utils
    from firebase_admin import messaging

    service = messaging._get_messaging_service(app)
    origin = (endpoint or FCM_ORIGIN).rstrip("/")
    if endpoint:
        service._fcm_url = f"{origin}/v1/projects/{service._project_id}/messages:send"
    session = service._client.session
    session.mount(origin, _fcm_adapter())
    # google-auth refreshes the token and re-sends on every 401, and FCM answers 401 for
    # THIRD_PARTY_AUTH_ERROR (APNs credentials wrong in the Firebase console): a batch of
    # iOS pushes would then fetch two OAuth tokens per message. A 401 for our own token
    # (UNAUTHENTICATED) is handled by FirebaseSender.send instead.
    session._refresh_status_codes = ()
    # requests reads proxy and CA settings from the environment on every request (a walk over
    # os.environ, a fifth of a push's CPU in bench/push.py); read them once, here, instead.
    session.proxies.update(requests.utils.get_environ_proxies(origin))
    ca_bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if ca_bundle:
        session.verify = ca_bundle
    session.trust_env = False


def _fcm_adapter() -> Any:
    """The HTTP adapter for FCM: a keep-alive pool, and no status retries.

    SEND_THREADS threads send at once; a pool at least as wide keeps their connections
    instead of reopening them (TLS handshakes to FCM) for every batch.

    firebase-admin retries 500/503 up to 4 times inside the call, sleeping for Retry-After
    while the worker waits. Hearth retries in the delivery job instead (backoff with jitter,
    Retry-After honoured, only the devices that failed, state in the database). Only a failed
    *connect* is retried here: nothing reached FCM, so it cannot double a message; a read
    timeout is not, because FCM may already have taken the message.
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
    return requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=200, max_retries=retry)


def to_fcm_message(m: PushMessage, moment: datetime) -> Any:
    """The firebase-admin Message for one PushMessage."""
    from firebase_admin import messaging

    data = {**m.data, "category": m.category}
    high = m.priority == "high"
    # A copy resent after a crash replaces the one shown instead of stacking a second:
    # the category's collapse key where newer replaces older, else one tag per notification.
    notification_id = data.get("notification_id")
    tag = m.collapse_key or (f"n{notification_id}" if notification_id else None)
    apns_headers = {"apns-priority": "10" if high else "5"}
    if tag:
        apns_headers["apns-collapse-id"] = tag[:64]
    ttl = timedelta(seconds=m.ttl_seconds) if m.ttl_seconds is not None else None
    if ttl is not None:
        apns_headers["apns-expiration"] = str(int((moment + ttl).timestamp()))
    with warnings.catch_warnings():
        # firebase-admin 7.7 deprecates `token` for `fid`; the apps register FCM registration
        # tokens, which go in `token` (see docs/push.md).
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


def _send_one(message: Any, app: App) -> tuple[str | None, BaseException | None]:
    """Send one message through firebase-admin: (FCM's message name, None) or (None, error)."""
    from firebase_admin import exceptions, messaging

    try:
        return messaging.send(message, app=app), None
    except exceptions.FirebaseError as error:  # FCM's answer, or the transport's, mapped
        return None, error


def _result(m: PushMessage, future: Future, moment: datetime) -> PushResult:
    """The PushResult of one sending thread's future."""
    try:
        message_id, error = future.result()
    except Exception as error:
        # Not an error firebase-admin mapped: the request may have gone out, so never resend.
        log.exception("FCM send of device %s's copy failed", m.device_id)
        return PushResult(
            m.device_id,
            ok=False,
            error_code=UNKNOWN_OUTCOME,
            detail=f"send failed: {type(error).__name__}",
            outcome_unknown=True,
        )
    return to_push_result(m, message_id, error, moment)


def to_push_result(
    m: PushMessage, message_id: str | None, error: BaseException | None, moment: datetime
) -> PushResult:
    """Map firebase-admin's answer to one message (its name, or its exception) to a PushResult."""
    if error is None:
        return PushResult(m.device_id, ok=True, message_id=message_id)
    code = error_code(error)
    return PushResult(
        m.device_id,
        ok=False,
        error_code=code,
        retry_after=retry_after(error, moment),
        detail=f"{code}: {error}"[:300],
        invalid_token=code == INVALID_ARGUMENT and _blames_token(error),
        outcome_unknown=outcome_unknown(error),
    )


def outcome_unknown(error: BaseException) -> bool:
    """Whether FCM may have taken the message although no answer came back.

    An HTTP answer is a known outcome, and so is a failed connect (nothing was sent). A read
    timeout, or a connection reset or closed after the request went out, is not: FCM may
    have delivered it, so it must not be sent again.
    """
    import requests
    from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

    if getattr(error, "http_response", None) is not None:
        return False
    cause = getattr(error, "cause", None) or error.__cause__
    if cause is None:
        return False  # raised by firebase-admin itself, before any request
    if isinstance(cause, requests.exceptions.ConnectTimeout):
        return False
    if isinstance(cause, requests.exceptions.ConnectionError):
        reason = getattr(cause.args[0], "reason", None) if cause.args else None
        return not isinstance(reason, NewConnectionError | ConnectTimeoutError)
    return isinstance(cause, requests.exceptions.RequestException)


def error_code(error: BaseException) -> str:
    """FCM's error code for a firebase-admin exception (its platform code otherwise)."""
    from firebase_admin import messaging

    by_type: tuple[tuple[type[BaseException], str], ...] = (
        (messaging.UnregisteredError, UNREGISTERED),
        (messaging.SenderIdMismatchError, SENDER_ID_MISMATCH),
        (messaging.QuotaExceededError, QUOTA_EXCEEDED),
        (messaging.ThirdPartyAuthError, THIRD_PARTY_AUTH_ERROR),
    )
    for cls, code in by_type:
        if isinstance(error, cls):
            return code
    # INVALID_ARGUMENT, UNAVAILABLE and INTERNAL have no class of their own: read the
    # FcmError detail, else firebase-admin's platform code (DEADLINE_EXCEEDED, UNKNOWN, ...).
    return _fcm_error_detail(error) or str(getattr(error, "code", "UNKNOWN"))


def _error_json(error: BaseException) -> dict[str, Any]:
    response = getattr(error, "http_response", None)
    if response is None:
        return {}
    try:
        body = response.json()
    except ValueError:
        return {}
    error_json = body.get("error") if isinstance(body, dict) else None
    return error_json if isinstance(error_json, dict) else {}


def _fcm_error_detail(error: BaseException) -> str | None:
    for detail in _error_json(error).get("details", []):
        if str(detail.get("@type", "")).endswith("google.firebase.fcm.v1.FcmError"):
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


def retry_after(error: BaseException, moment: datetime) -> float | None:
    """Seconds from the Retry-After header of the error's HTTP response, if any."""
    response = getattr(error, "http_response", None)
    value = response.headers.get("Retry-After") if response is not None else None
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (parsed - moment).total_seconds())

"""A local stand-in for the Google endpoints Hearth talks to, for tests and benchmarks.

One ThreadingHTTPServer on 127.0.0.1 serves:

- ``POST /token``: the OAuth2 token endpoint of a service account (JWT bearer grant). The
  assertion must be an RS256 JWT signed with the test service account's private key.
- ``POST /v1/projects/{project}/messages:send``: FCM HTTP v1. The body is validated as FCM
  would, every request is recorded, and answers can be scripted per token or per call.
- ``GET /robot/v1/metadata/x509/securetoken@system.gserviceaccount.com``: the x509
  certificates ``firebase_admin.auth.verify_id_token`` fetches public keys from.

The real firebase-admin client is pointed at it (see workers/push.py and api/auth.py), so
its request building, auth, retries and error mapping all run for real.
"""

from __future__ import annotations

import itertools
import json
import re
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

PROJECT_ID = "hearth-test"
CERT_PATH = "/robot/v1/metadata/x509/securetoken@system.gserviceaccount.com"
# The fake's own remote control (GET: recorded sends; POST: scripts), for a fake in its own
# process; not a Google endpoint.
CONTROL_PATH = "/_fake/control"
ID_TOKEN_ISSUER_PREFIX = "https://securetoken.google.com/"
FCM_SCOPES = {
    "https://www.googleapis.com/auth/firebase.messaging",
    "https://www.googleapis.com/auth/cloud-platform",
}
# google-auth always addresses the assertion to Google's token endpoint, whatever token_uri is.
OAUTH_AUDIENCE = "https://oauth2.googleapis.com/token"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
FCM_ERROR_TYPE = "type.googleapis.com/google.firebase.fcm.v1.FcmError"
BAD_REQUEST_TYPE = "type.googleapis.com/google.rpc.BadRequest"

# What FCM answers for each error code it documents: HTTP status, google.rpc status, message.
FCM_ERRORS: dict[str, tuple[int, str, str]] = {
    "UNREGISTERED": (404, "NOT_FOUND", "Requested entity was not found."),
    "SENDER_ID_MISMATCH": (403, "PERMISSION_DENIED", "SenderId mismatch"),
    "INVALID_ARGUMENT": (
        400,
        "INVALID_ARGUMENT",
        "The registration token is not a valid FCM registration token",
    ),
    "QUOTA_EXCEEDED": (
        429,
        "RESOURCE_EXHAUSTED",
        "Quota exceeded for quota metric 'Send requests' of service fcm.googleapis.com.",
    ),
    "UNAVAILABLE": (503, "UNAVAILABLE", "The service is currently unavailable."),
    "INTERNAL": (500, "INTERNAL", "Internal error encountered."),
    "THIRD_PARTY_AUTH_ERROR": (401, "UNAUTHENTICATED", "Auth error from APNS or Web Push Service"),
}

_DURATION = re.compile(r"^\d{1,12}(\.\d{1,9})?s$")
_TOKEN = re.compile(r"^\S{1,4096}$")
_MESSAGE_FIELDS = {
    "name",
    "data",
    "notification",
    "android",
    "webpush",
    "apns",
    "fcm_options",
    "fcmOptions",
    "token",
    "fid",
    "topic",
    "condition",
}
_NOTIFICATION_FIELDS = {"title", "body", "image"}
_ANDROID_FIELDS = {
    "collapse_key",
    "collapseKey",
    "priority",
    "ttl",
    "restricted_package_name",
    "restrictedPackageName",
    "data",
    "notification",
    "fcm_options",
    "fcmOptions",
    "direct_boot_ok",
    "directBootOk",
    "bandwidth_constrained_ok",
    "restricted_satellite_ok",
}
_APNS_FIELDS = {"headers", "payload", "fcm_options", "fcmOptions", "live_activity_token"}
_RESERVED_DATA_KEYS = {"from", "notification", "message_type"}
_MAX_PAYLOAD_BYTES = 4096


def _pem_private(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def _self_signed_cert(key: rsa.RSAPrivateKey, common_name: str) -> str:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    start = datetime(2020, 1, 1, tzinfo=UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=365 * 30))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


class FcmInvalid(Exception):
    """A request body FCM would refuse with 400 INVALID_ARGUMENT."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass
class Answer:
    """One scripted FCM answer: an error code from FCM_ERRORS, optionally with Retry-After."""

    code: str
    retry_after: int | None = None
    times: int | None = None  # None: every time

    def take(self) -> bool:
        """Consume one use; False when used up."""
        if self.times is None:
            return True
        if self.times <= 0:
            return False
        self.times -= 1
        return True


@dataclass
class FcmRequest:
    """What the fake received on messages:send, and how it answered."""

    token: str | None
    body: dict[str, Any]
    status: int
    error_code: str | None
    message_id: str | None
    at: float = field(default_factory=time.time)  # when it was answered (recorded)

    @property
    def message(self) -> dict[str, Any]:
        return self.body.get("message", {})

    @property
    def data(self) -> dict[str, str]:
        return self.message.get("data", {})


@dataclass
class FakeGoogle:
    """The fake's state: keys, the recorded traffic and the scripted answers."""

    project_id: str = PROJECT_ID
    client_email: str = f"firebase-adminsdk@{PROJECT_ID}.iam.gserviceaccount.com"
    sa_key: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )
    sa_key_id: str = "sa-key-1"
    id_key: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )
    id_key_id: str = "id-key-1"

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._sa_public_pem = (
            self.sa_key.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )
        self.id_cert_pem = _self_signed_cert(self.id_key, "securetoken.system.gserviceaccount.com")
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.reset()

    # ---- lifecycle -------------------------------------------------------------------------

    def start(self) -> FakeGoogle:
        """Listen on an ephemeral loopback port, serving from a daemon thread."""
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = _Server(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def reset(self) -> None:
        """Forget recorded traffic and scripts (keys and issued access tokens stay valid)."""
        with self._lock:
            self.requests: list[FcmRequest] = []
            self.accepted_count = 0
            self.token_requests: list[dict[str, Any]] = []
            self.cert_fetches = 0
            self._by_token: dict[str, list[Answer]] = {}
            self._next_calls: list[Answer] = []
            self._access_tokens: set[str] = getattr(self, "_access_tokens", set())
            self.fail_token_endpoint: str | None = None
            self.in_flight = 0
            # Called with the number of messages taken so far, as each send arrives.
            self.on_send: Callable[[int], None] | None = None
            self.hold: threading.Event | None = None
            self.latency_seconds = 0.0
            # Identity Toolkit accounts (the revocation check's lookup): every uid exists,
            # with these overrides: uid -> {"validSince": "<epoch s>", "disabled": bool};
            # a uid in deleted_accounts has no record.
            self.accounts: dict[str, dict[str, Any]] = {}
            self.deleted_accounts: set[str] = set()
            self.account_lookups = 0

    def revoke_refresh_tokens(self, uid: str, at: float) -> None:
        """As auth.revoke_refresh_tokens: tokens issued before `at` (epoch s) are revoked."""
        with self._lock:
            self.accounts.setdefault(uid, {})["validSince"] = str(int(at))

    def disable_account(self, uid: str) -> None:
        """As disabling the account in the Firebase console."""
        with self._lock:
            self.accounts.setdefault(uid, {})["disabled"] = True

    @property
    def auth_url(self) -> str:
        """The value for Config.FIREBASE_AUTH_URL (replaces identitytoolkit.googleapis.com)."""
        return self.url

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the fake first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def token_uri(self) -> str:
        return f"{self.url}/token"

    @property
    def fcm_endpoint(self) -> str:
        """The value for Config.FCM_ENDPOINT (replaces https://fcm.googleapis.com)."""
        return self.url

    @property
    def cert_url(self) -> str:
        """The value for Config.FIREBASE_CERT_URL."""
        return f"{self.url}{CERT_PATH}"

    # ---- the service account -------------------------------------------------------------

    def service_account_info(self) -> dict[str, str]:
        """A service-account JSON like the one the Firebase console downloads."""
        return {
            "type": "service_account",
            "project_id": self.project_id,
            "private_key_id": self.sa_key_id,
            "private_key": _pem_private(self.sa_key),
            "client_email": self.client_email,
            "client_id": "100000000000000000001",
            "auth_uri": "https://accounts.google.com/o/oauth2/auth",
            "token_uri": self.token_uri,
            "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
            "client_x509_cert_url": f"{self.url}/robot/v1/metadata/x509/{self.client_email}",
            "universe_domain": "googleapis.com",
        }

    def write_service_account(self, path: Path) -> Path:
        """Write the service-account JSON to path (for GOOGLE_APPLICATION_CREDENTIALS)."""
        path.write_text(json.dumps(self.service_account_info(), indent=2))
        return path

    # ---- ID tokens ---------------------------------------------------------------------------

    def mint_id_token(
        self,
        uid: str,
        *,
        now: float | None = None,
        iss: str | None = None,
        aud: str | None = None,
        iat: float | None = None,
        exp: float | None = None,
        auth_time: float | None = None,
        sub: str | None = None,
        kid: str | None = "default",
        key: rsa.RSAPrivateKey | None = None,
        extra: dict[str, Any] | None = None,
    ) -> str:
        """A Firebase ID token for uid, RS256-signed with the test key unless told otherwise.

        `now` defaults to the real time because google-auth checks iat/exp against it.
        kid="default" uses the key id the certificate endpoint serves; None omits the header.
        """
        t = time.time() if now is None else now
        claims: dict[str, Any] = {
            "iss": iss if iss is not None else ID_TOKEN_ISSUER_PREFIX + self.project_id,
            "aud": aud if aud is not None else self.project_id,
            "auth_time": int(auth_time if auth_time is not None else t - 60),
            "user_id": uid,
            "sub": sub if sub is not None else uid,
            "iat": int(iat if iat is not None else t - 10),
            "exp": int(exp if exp is not None else t + 3600),
            "firebase": {"identities": {}, "sign_in_provider": "custom"},
        }
        claims.update(extra or {})
        headers = {} if kid is None else {"kid": self.id_key_id if kid == "default" else kid}
        return jwt.encode(claims, key or self.id_key, algorithm="RS256", headers=headers)

    # ---- scripting ---------------------------------------------------------------------------

    def revoke_access_tokens(self) -> None:
        """Refuse every access token issued so far (FCM then answers 401 UNAUTHENTICATED)."""
        with self._lock:
            self._access_tokens.clear()

    def answer_token(
        self, token: str, code: str, *, retry_after: int | None = None, times: int | None = None
    ) -> None:
        """Answer every (or the next `times`) send to token with FCM error `code`."""
        if code not in FCM_ERRORS:
            raise ValueError(f"unknown FCM error {code}")
        with self._lock:
            self._by_token.setdefault(token, []).append(Answer(code, retry_after, times))

    def answer_next_calls(
        self, code: str, *, times: int = 1, retry_after: int | None = None
    ) -> None:
        """Answer the next `times` sends, whatever their token, with FCM error `code`."""
        if code not in FCM_ERRORS:
            raise ValueError(f"unknown FCM error {code}")
        with self._lock:
            self._next_calls.append(Answer(code, retry_after, times))

    def _scripted(self, token: str | None) -> Answer | None:
        with self._lock:
            for queue in (self._by_token.get(token or "", []), self._next_calls):
                while queue:
                    answer = queue[0]
                    if answer.take():
                        return answer
                    queue.pop(0)
        return None

    # ---- remote control (the fake in its own process: bench/, tests/faults/) ------------------

    def control(self, command: dict[str, Any]) -> None:
        """Apply a command posted to CONTROL_PATH: reset, latency_seconds, answer_next_calls."""
        if command.get("reset"):
            self.reset()
        if "latency_seconds" in command:
            self.latency_seconds = float(command["latency_seconds"])
        script = command.get("answer_next_calls")
        if script:
            self.answer_next_calls(
                script["code"], times=int(script["times"]), retry_after=script.get("retry_after")
            )

    def control_state(self) -> dict[str, Any]:
        """What GET CONTROL_PATH answers: sends in flight and every recorded send, in short."""
        with self._lock:
            return {
                "in_flight": self.in_flight,
                "requests": [
                    {
                        "token": r.token,
                        "status": r.status,
                        "error_code": r.error_code,
                        "notification_id": r.data.get("notification_id"),
                        "at": r.at,
                    }
                    for r in self.requests
                ],
            }

    # ---- what was received -------------------------------------------------------------------

    @property
    def accepted(self) -> list[FcmRequest]:
        """The messages FCM took (answered 200)."""
        with self._lock:
            return [r for r in self.requests if r.status == 200]

    def accepted_tokens(self) -> Counter[str]:
        """How many messages each token took."""
        return Counter(r.token for r in self.accepted if r.token)

    def _record(self, request: FcmRequest) -> None:
        with self._lock:
            self.requests.append(request)
            if request.status == 200:
                self.accepted_count += 1

    # ---- validation as FCM does it -------------------------------------------------------------

    def validate_send(self, project: str, body: Any) -> dict[str, Any]:
        """Raise FcmInvalid where FCM would answer 400; return the message."""
        if project != self.project_id:
            raise PermissionError(project)
        if not isinstance(body, dict):
            raise FcmInvalid("Invalid JSON payload received.", "")
        unknown = set(body) - {"message", "validate_only", "validateOnly"}
        if unknown:
            name = sorted(unknown)[0]
            raise FcmInvalid(
                f'Invalid JSON payload received. Unknown name "{name}": Cannot find field.', name
            )
        message = body.get("message")
        if not isinstance(message, dict):
            raise FcmInvalid("Request contains an invalid argument.", "message")
        _unknown(message, _MESSAGE_FIELDS, "message")
        targets = [k for k in ("token", "fid", "topic", "condition") if k in message]
        if len(targets) != 1:
            raise FcmInvalid("Recipient of the message is not set.", "message.token")
        for target in targets:
            _string(message[target], f"message.{target}")
        _string_map(message.get("data"), "message.data", data=True)
        notification = message.get("notification")
        if notification is not None:
            _object(notification, "message.notification")
            _unknown(notification, _NOTIFICATION_FIELDS, "message.notification")
            for k, v in notification.items():
                _string(v, f"message.notification.{k}")
        android = message.get("android")
        if android is not None:
            _validate_android(android)
        apns = message.get("apns")
        if apns is not None:
            _validate_apns(apns)
        if len(json.dumps(message).encode()) > _MAX_PAYLOAD_BYTES:
            raise FcmInvalid("Message is too big", "message")
        token = message.get("token") or message.get("fid")
        if token is not None and not _TOKEN.match(token):
            raise FcmInvalid(FCM_ERRORS["INVALID_ARGUMENT"][2], "message.token")
        return message


def _object(value: Any, path: str) -> None:
    if not isinstance(value, dict):
        raise FcmInvalid(f"Invalid value at '{path}' (type.googleapis.com/...), {value!r}", path)


def _unknown(obj: dict[str, Any], allowed: set[str], path: str) -> None:
    for key in obj:
        if key not in allowed:
            raise FcmInvalid(
                f"Invalid JSON payload received. Unknown name \"{key}\" at '{path}': "
                "Cannot find field.",
                f"{path}.{key}",
            )


def _string(value: Any, path: str) -> None:
    if not isinstance(value, str):
        raise FcmInvalid(f"Invalid value at '{path}' (TYPE_STRING), {json.dumps(value)}", path)


def _string_map(value: Any, path: str, *, data: bool = False) -> None:
    if value is None:
        return
    _object(value, path)
    for i, (k, v) in enumerate(value.items()):
        if not isinstance(v, str):
            raise FcmInvalid(
                f"Invalid value at '{path}[{i}].value' (TYPE_STRING), {json.dumps(v)}",
                f"{path}[{i}].value",
            )
        if data and (k in _RESERVED_DATA_KEYS or k.startswith(("google", "gcm"))):
            raise FcmInvalid(f"Invalid data payload key: {k}", f"{path}[{i}].key")


def _validate_android(android: Any) -> None:
    _object(android, "message.android")
    _unknown(android, _ANDROID_FIELDS, "message.android")
    ttl = android.get("ttl")
    if ttl is not None and (not isinstance(ttl, str) or not _DURATION.match(ttl)):
        raise FcmInvalid(
            "Invalid value at 'message.android.ttl' (type.googleapis.com/google.protobuf.Duration),"
            f" Field 'ttl', Illegal duration format; duration must end with 's': {ttl!r}",
            "message.android.ttl",
        )
    priority = android.get("priority")
    if priority is not None and priority not in ("normal", "high", "NORMAL", "HIGH"):
        raise FcmInvalid(
            f"Invalid value at 'message.android.priority' "
            f"(type.googleapis.com/google.firebase.fcm.v1.AndroidMessagePriority), {priority!r}",
            "message.android.priority",
        )
    for key in ("collapse_key", "collapseKey", "restricted_package_name"):
        if key in android:
            _string(android[key], f"message.android.{key}")
    _string_map(android.get("data"), "message.android.data", data=True)
    notification = android.get("notification")
    if notification is not None:
        _object(notification, "message.android.notification")
        for key in ("title", "body", "channel_id", "channelId", "tag", "icon", "color", "sound"):
            if key in notification:
                _string(notification[key], f"message.android.notification.{key}")


def _validate_apns(apns: Any) -> None:
    _object(apns, "message.apns")
    _unknown(apns, _APNS_FIELDS, "message.apns")
    headers = apns.get("headers")
    _string_map(headers, "message.apns.headers")
    headers = headers or {}
    expiration = headers.get("apns-expiration")
    if expiration is not None and not expiration.isdigit():
        raise FcmInvalid(f"Invalid apns-expiration header: {expiration!r}", "message.apns.headers")
    priority = headers.get("apns-priority")
    if priority is not None and priority not in ("5", "10", "1"):
        raise FcmInvalid(f"Invalid apns-priority header: {priority!r}", "message.apns.headers")
    collapse = headers.get("apns-collapse-id")
    if collapse is not None and len(collapse.encode()) > 64:
        raise FcmInvalid("apns-collapse-id is longer than 64 bytes", "message.apns.headers")
    payload = apns.get("payload")
    if payload is not None:
        _object(payload, "message.apns.payload")
        if "aps" in payload:
            _object(payload["aps"], "message.apns.payload.aps")


def _google_error(
    status: int, rpc_status: str, message: str, details: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    error: dict[str, Any] = {"code": status, "message": message, "status": rpc_status}
    if details:
        error["details"] = details
    return {"error": error}


def fcm_error_body(code: str, *, message: str | None = None, field: str | None = None) -> dict:
    """The JSON body FCM sends for error `code` (google.rpc.Status with an FcmError detail)."""
    status, rpc_status, default_message = FCM_ERRORS[code]
    details: list[dict[str, Any]] = [{"@type": FCM_ERROR_TYPE, "errorCode": code}]
    if field is not None:
        details.append(
            {
                "@type": BAD_REQUEST_TYPE,
                "fieldViolations": [{"field": field, "description": message or default_message}],
            }
        )
    return _google_error(status, rpc_status, message or default_message, details)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # The default backlog (5) refuses connections when send_each opens a hundred at once.
    request_queue_size = 1024


class _Handler(BaseHTTPRequestHandler):
    fake: FakeGoogle
    protocol_version = "HTTP/1.1"  # keep-alive, as the real endpoints do

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes; without this, Nagle + delayed ACK add 40 ms.
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests read the recorded traffic instead."""

    def _reply(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(payload)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(payload)

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length)

    def do_GET(self) -> None:
        if self.path.split("?")[0] == CONTROL_PATH:
            self._reply(200, self.fake.control_state())
            return
        if self.path.split("?")[0] == CERT_PATH:
            with self.fake._lock:
                self.fake.cert_fetches += 1
            self._reply(
                200,
                {self.fake.id_key_id: self.fake.id_cert_pem},
                {"Cache-Control": "public, max-age=20000, must-revalidate, no-transform"},
            )
            return
        self._reply(404, _google_error(404, "NOT_FOUND", f"{self.path} not found"))

    def do_POST(self) -> None:
        path = self.path.split("?")[0]
        raw = self._body()
        if path == "/token":
            self._token(raw)
            return
        if path == CONTROL_PATH:
            self.fake.control(json.loads(raw or b"{}"))
            self._reply(200, {"ok": True})
            return
        match = re.fullmatch(r"/v1/projects/([^/]+)/messages:send", path)
        if match:
            self._send(match.group(1), raw)
            return
        match = re.fullmatch(r"/v1/projects/([^/]+)/accounts:lookup", path)
        if match:
            self._lookup(match.group(1), raw)
            return
        self._reply(404, _google_error(404, "NOT_FOUND", f"{path} not found"))

    def _lookup(self, project: str, raw: bytes) -> None:
        """Identity Toolkit accounts:lookup, as firebase-admin's get_user calls it."""
        fake = self.fake
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in fake._access_tokens:
            self._reply(401, _google_error(401, "UNAUTHENTICATED", "bad access token"))
            return
        if project != fake.project_id:
            self._reply(404, _google_error(404, "NOT_FOUND", f"no project {project}"))
            return
        with fake._lock:
            fake.account_lookups += 1
            uids = json.loads(raw or b"{}").get("localId", [])
            users = [
                {"localId": uid, **fake.accounts.get(uid, {})}
                for uid in uids
                if uid not in fake.deleted_accounts
            ]
        self._reply(200, {"kind": "identitytoolkit#GetAccountInfoResponse", "users": users})

    def _token(self, raw: bytes) -> None:
        fake = self.fake
        form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
        fake.token_requests.append(form)
        if fake.fail_token_endpoint:
            self._reply(
                400, {"error": "invalid_grant", "error_description": fake.fail_token_endpoint}
            )
            return
        if form.get("grant_type") != JWT_BEARER:
            self._reply(400, {"error": "unsupported_grant_type"})
            return
        try:
            header = jwt.get_unverified_header(form.get("assertion", ""))
            claims = jwt.decode(
                form.get("assertion", ""),
                fake._sa_public_pem,
                algorithms=["RS256"],
                audience=OAUTH_AUDIENCE,
                issuer=fake.client_email,
                options={"require": ["exp", "iat", "iss", "aud"]},
            )
        except jwt.PyJWTError as error:
            self._reply(
                400, {"error": "invalid_grant", "error_description": f"Invalid JWT: {error}"}
            )
            return
        scopes = set(str(claims.get("scope", "")).split())
        if header.get("kid") != fake.sa_key_id or not scopes & FCM_SCOPES:
            self._reply(400, {"error": "invalid_scope", "error_description": "bad kid or scope"})
            return
        if claims["exp"] - claims["iat"] > 3600:
            self._reply(400, {"error": "invalid_grant", "error_description": "JWT lifetime > 1h"})
            return
        access_token = f"ya29.fake-{next(fake._ids)}"
        with fake._lock:
            fake._access_tokens.add(access_token)
        self._reply(200, {"access_token": access_token, "expires_in": 3599, "token_type": "Bearer"})

    def _send(self, project: str, raw: bytes) -> None:
        fake = self.fake
        with fake._lock:
            fake.in_flight += 1
        try:
            self._send_counted(project, raw)
        finally:
            with fake._lock:
                fake.in_flight -= 1

    def _send_counted(self, project: str, raw: bytes) -> None:
        fake = self.fake
        if fake.on_send is not None:
            fake.on_send(fake.accepted_count)
        if fake.hold is not None:
            # A "dead" upstream: hold the request without answering (the test kills the
            # worker meanwhile), so nothing held counts as taken.
            fake.hold.wait(30)
            self.close_connection = True
            return
        if fake.latency_seconds:
            time.sleep(fake.latency_seconds)
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in fake._access_tokens:
            fake._record(FcmRequest(None, {}, 401, "UNAUTHENTICATED", None))
            self._reply(
                401,
                _google_error(
                    401,
                    "UNAUTHENTICATED",
                    "Request had invalid authentication credentials. Expected OAuth 2 access "
                    "token, login cookie or other valid authentication credential.",
                ),
            )
            return
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        token = None
        try:
            message = fake.validate_send(project, body)
            token = message.get("token") or message.get("fid")
        except PermissionError:
            fake._record(FcmRequest(None, body or {}, 403, "PERMISSION_DENIED", None))
            self._reply(
                403,
                _google_error(
                    403, "PERMISSION_DENIED", "Permission 'cloudmessaging.messages.create' denied"
                ),
            )
            return
        except FcmInvalid as invalid:
            fake._record(FcmRequest(None, body or {}, 400, "INVALID_ARGUMENT", None))
            self._reply(
                400,
                fcm_error_body("INVALID_ARGUMENT", message=invalid.message, field=invalid.field),
            )
            return
        answer = fake._scripted(token)
        if answer is not None:
            status = FCM_ERRORS[answer.code][0]
            fake._record(FcmRequest(token, body, status, answer.code, None))
            headers = {}
            if answer.retry_after is not None:
                headers["Retry-After"] = str(answer.retry_after)
            field = "message.token" if answer.code == "INVALID_ARGUMENT" else None
            self._reply(status, fcm_error_body(answer.code, field=field), headers)
            return
        message_id = f"projects/{project}/messages/0:{next(fake._ids)}%fake"
        fake._record(FcmRequest(token, body, 200, None, message_id))
        self._reply(200, {"name": message_id})


def main() -> None:
    """Serve the fake in its own process (benchmarks): print one JSON line, serve until stdin ends.

    The line holds the base URL and the service-account JSON to send with.
    """
    import sys

    fake = FakeGoogle().start()
    print(json.dumps({"url": fake.url, "service_account": fake.service_account_info()}), flush=True)
    try:
        sys.stdin.read()
    finally:
        fake.stop()


if __name__ == "__main__":
    main()

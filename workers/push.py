"""How a push leaves Hearth: the PushSender protocol and its backends."""

from __future__ import annotations

import itertools
import logging
import threading
from dataclasses import dataclass, field
from typing import Protocol

from api.config import Config

log = logging.getLogger(__name__)

# The error codes a PushResult carries: FCM's, plus the transport's own.
UNREGISTERED = "UNREGISTERED"
SENDER_ID_MISMATCH = "SENDER_ID_MISMATCH"
INVALID_ARGUMENT = "INVALID_ARGUMENT"
QUOTA_EXCEEDED = "QUOTA_EXCEEDED"
UNAVAILABLE = "UNAVAILABLE"
INTERNAL = "INTERNAL"
THIRD_PARTY_AUTH_ERROR = "THIRD_PARTY_AUTH_ERROR"
UNAUTHENTICATED = "UNAUTHENTICATED"  # FCM refused our own OAuth access token
UNKNOWN_OUTCOME = "UNKNOWN_OUTCOME"  # no answer, and the request may have reached FCM


@dataclass(frozen=True)
class PushMessage:
    """One notification addressed to one device."""

    device_id: int
    token: str
    title: str
    body: str
    data: dict[str, str]
    category: str
    channel_id: str
    collapse_key: str | None = None
    ttl_seconds: int | None = None
    priority: str = "normal"
    # The outbox row it comes from (also in data); 0 when a caller builds one by hand.
    notification_id: int = 0
    recipient_id: int = 0


@dataclass(frozen=True)
class PushResult:
    """What the push service said about one message."""

    device_id: int
    ok: bool
    message_id: str | None = None
    # FCM's error code (UNREGISTERED, QUOTA_EXCEEDED, ...) when not ok.
    error_code: str | None = None
    retry_after: float | None = None
    # FCM's own words, kept as the notification's last_error.
    detail: str | None = None
    # INVALID_ARGUMENT blamed on the registration token (delete it), not on the message.
    invalid_token: bool = False
    # No answer, yet the request may have reached FCM (read timeout, connection cut after
    # sending): FCM may have taken it, so it is never sent again (at most once per device).
    outcome_unknown: bool = False


class PushSender(Protocol):
    def send(self, messages: list[PushMessage]) -> list[PushResult]:
        """Send each message; one result per message, in order."""
        ...


@dataclass
class LogSender:
    """Records what would be pushed instead of sending it (the embedded default)."""

    sent: list[PushMessage] = field(default_factory=list)
    _ids: itertools.count = field(default_factory=itertools.count)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def send(self, messages: list[PushMessage]) -> list[PushResult]:
        """Log each message by notification and recipient (never its text: it can be private)."""
        results = []
        with self._lock:
            for message in messages:
                self.sent.append(message)
                log.info(
                    "push (log backend) notification=%s recipient=%s device=%s category=%s",
                    message.notification_id,
                    message.recipient_id,
                    message.device_id,
                    message.category,
                    extra={
                        "notification_id": message.notification_id,
                        "recipient_id": message.recipient_id,
                        "device_id": message.device_id,
                        "category": message.category,
                    },
                )
                results.append(
                    PushResult(message.device_id, ok=True, message_id=f"log-{next(self._ids)}")
                )
        return results


_senders: dict[Config, PushSender] = {}
_senders_lock = threading.Lock()


def get_sender(config: Config) -> PushSender:
    """The process's sender for this config, built once (not per job, not at import)."""
    with _senders_lock:
        sender = _senders.get(config)
        if sender is None:
            if config.PUSH_BACKEND == "firebase":
                from workers.fcm import FirebaseSender

                sender = FirebaseSender(config)
            else:
                sender = LogSender()
            _senders[config] = sender
        return sender

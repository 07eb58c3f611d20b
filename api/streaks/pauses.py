"""Pause history: every change of Ritual.paused is recorded as a span of ritual days.

A listener rather than a call in the rituals service, so that every way a ritual is paused
(the API, an admin shell, a factory) leaves the history the streak engine needs.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session

from api.clock import now
from api.pairing.models import Couple
from api.rituals.history import last_check_in_day, recent_timeline
from api.rituals.models import Ritual
from api.streaks.days import ritual_today
from api.streaks.models import RitualPause


@event.listens_for(Session, "before_flush")
def _record_pause_spans(session: Session, flush_context: Any, instances: Any) -> None:
    for ritual in [*session.new, *session.dirty]:
        if not isinstance(ritual, Ritual):
            continue
        is_new = ritual in session.new
        if is_new and not ritual.paused:
            continue
        if not is_new and not inspect(ritual).attrs.paused.history.has_changes():
            continue
        with session.no_autoflush:
            _sync_span(session, ritual, is_new=is_new)


def _sync_span(session: Session, ritual: Ritual, *, is_new: bool) -> None:
    couple = session.get(Couple, ritual.couple_id)
    if couple is None:
        return
    moment = now()
    # The ritual's own day: a pause is judged on the same calendar as its check-ins.
    today = ritual_today(ritual, couple, recent_timeline(session, couple, ritual, moment), moment)
    if ritual.paused and not is_new:
        # A day already checked in after today (tomorrow's, after an early reminder) is where
        # the pause starts: the day a pause starts counts if completed, so none is taken away.
        last = last_check_in_day(session, ritual)
        if last is not None and last > today:
            today = last
    open_span = (
        None
        if is_new
        else session.scalar(
            select(RitualPause).where(
                RitualPause.ritual_id == ritual.id, RitualPause.resumed_on.is_(None)
            )
        )
    )
    if ritual.paused and open_span is None:
        session.add(RitualPause(ritual=ritual, paused_from=today))
    elif not ritual.paused and open_span is not None:
        if open_span.paused_from >= today:
            # paused and resumed within one day: the day was never paused at its end
            session.delete(open_span)
        else:
            open_span.resumed_on = today

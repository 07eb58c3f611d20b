"""Take one use of a daily quota, race-safely, in the caller's transaction."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from api.db_utils import conflict_insert, execute_core
from api.quotas.models import DailyQuota

# Counters older than this are of no more use to anyone: dropped as the same quota is taken.
KEEP_DAYS = 7


def take(session: Session, *, user_id: int, scope: str, day: date, limit: int) -> bool:
    """Count one use of scope on day for user_id; False (nothing counted) once limit is reached.

    The conditional UPDATE decides under the row's lock, so two requests at once never both
    take the last use. The caller commits (or rolls back, and the use is given back).
    """
    execute_core(
        session,
        conflict_insert(session.get_bind().dialect.name)(DailyQuota)
        .values(user_id=user_id, scope=scope, day=day, used=0)
        .on_conflict_do_nothing(index_elements=["user_id", "scope", "day"]),
    )
    taken = session.execute(
        update(DailyQuota)
        .where(
            DailyQuota.user_id == user_id,
            DailyQuota.scope == scope,
            DailyQuota.day == day,
            DailyQuota.used < limit,
        )
        .values(used=DailyQuota.used + 1)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        delete(DailyQuota).where(
            DailyQuota.user_id == user_id,
            DailyQuota.scope == scope,
            DailyQuota.day < day - timedelta(days=KEEP_DAYS),
        )
    )
    return taken.rowcount == 1

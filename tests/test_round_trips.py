"""Round trips to the database per request: a number that grows is a regression.

Every round trip the app's engine makes to the database server is counted, at the SQLAlchemy
dialect (the last stop before the driver): statements (`do_execute*`), the BEGIN psycopg
sends by itself before a transaction's first statement, COMMIT and ROLLBACK when there is a
transaction to end (the pool's reset when a connection is returned too), and the pool's
liveness ping. The ceilings are the issue's goals, lower where reads run without a
transaction (api/read_only.py): GET /v1/me one statement, each list or couple read at most
2 (the streaks read whatever the number of rituals), a check-in at most 6 including BEGIN and
COMMIT.
Every view marked @read_only is read once more with data behind it (READ_ONLY_VIEWS): only
SELECTs, no BEGIN, no ROLLBACK; and only GET views carry the mark.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from api.content.loader import load
from api.content.service import import_content
from api.extensions import db
from api.memories.models import PHOTO_READY, MemoryPhoto
from api.read_only import read_only
from tests.conftest import auth
from tests.paired_couple import add_ritual, call, pair_in_berlin

DIALECT_CALLS = (
    "do_execute",
    "do_executemany",
    "do_execute_no_params",
    "do_commit",
    "do_rollback",
    "do_ping",
)


def _in_transaction(dbapi_connection: Any) -> bool:
    """Whether the driver's connection holds an open transaction (so COMMIT/ROLLBACK is sent)."""
    # The pool hands the dialect its proxy (a _ConnectionFairy) or the driver's connection.
    dbapi_connection = getattr(dbapi_connection, "dbapi_connection", dbapi_connection)
    info = getattr(dbapi_connection, "info", None)
    status = getattr(info, "transaction_status", None)
    if status is not None:  # psycopg
        import psycopg

        return bool(status != psycopg.pq.TransactionStatus.IDLE)
    return bool(dbapi_connection.in_transaction)  # sqlite3


def _begins_implicitly(cursor: Any) -> bool:
    """Whether psycopg sends a BEGIN of its own before this statement (a round trip).

    sqlite3 begins implicitly too, but in-process: no round trip to count.
    """
    connection = cursor.connection
    return (
        hasattr(connection, "info")
        and not connection.autocommit
        and not _in_transaction(connection)
    )


@contextmanager
def round_trips() -> Iterator[list[str]]:
    """Record every round trip the app's engine makes within the block, by its name."""
    calls: list[str] = []
    dialect = db.engine.dialect
    originals = {name: getattr(dialect, name) for name in DIALECT_CALLS}

    def wrap(name: str) -> Any:
        original = originals[name]

        def counted(*args: Any, **kwargs: Any) -> Any:
            if name.startswith("do_execute"):
                if _begins_implicitly(args[0]):
                    calls.append("BEGIN (sent by psycopg)")
                statement = args[1] if len(args) > 1 else ""
                calls.append(f"{name} {' '.join(statement.split())}".strip()[:300])
            elif name == "do_ping" or _in_transaction(args[0]):
                calls.append(name)
            return original(*args, **kwargs)

        return counted

    for name in DIALECT_CALLS:
        setattr(dialect, name, wrap(name))
    try:
        yield calls
    finally:
        for name, original in originals.items():
            setattr(dialect, name, original)


@pytest.fixture
def couple(client: FlaskClient, clock: Any) -> dict[str, Any]:
    """Alex and Sam paired in Berlin, with two daily rituals; Sam checked one in yesterday."""
    return pair_in_berlin(client, clock)


READS = [
    ("/v1/me", 1),
    ("/v1/couple", 2),
    ("/v1/notifications", 2),
    ("/v1/devices", 2),
    ("/v1/couple/rituals", 2),
    ("/v1/couple/streaks", 2),
]


@pytest.mark.parametrize(("path", "ceiling"), READS)
def test_reads_stay_within_their_round_trips(
    client: FlaskClient, couple: dict[str, Any], path: str, ceiling: int
) -> None:
    call(client, "GET", path, "alex")  # warm: first sight of a route, lazy loads
    with round_trips() as calls:
        call(client, "GET", path, "alex")
    assert len(calls) <= ceiling, "\n".join(calls)


def test_the_streaks_read_does_not_grow_with_rituals(
    client: FlaskClient, couple: dict[str, Any]
) -> None:
    with round_trips() as few:
        call(client, "GET", "/v1/couple/streaks", "alex")
    for n in range(2, 8):
        add_ritual(client, n)
    with round_trips() as many:
        call(client, "GET", "/v1/couple/streaks", "alex")
    assert len(many) == len(few) <= 2, many


def test_the_check_in_history_is_read_in_one_select_with_its_ritual(
    client: FlaskClient, couple: dict[str, Any]
) -> None:
    """The auth SELECT and one more: the live ritual's check (a 404) and the page together."""
    path = f"/v1/couple/rituals/{couple['rituals'][0]}/check-ins"
    call(client, "GET", path, "alex")
    with round_trips() as calls:
        assert call(client, "GET", path, "alex")["items"]
    assert len(calls) <= 2, "\n".join(calls)


def test_a_check_in_takes_at_most_six_round_trips_with_begin_and_commit(
    client: FlaskClient, couple: dict[str, Any]
) -> None:
    """BEGIN, the auth SELECT, the locked ritual, the INSERT ... RETURNING, the notification
    INSERT with the streak record's upsert (a first check-in: the record is new), COMMIT."""
    ritual = couple["rituals"][1]
    with round_trips() as calls:
        call(
            client,
            "POST",
            f"/v1/couple/rituals/{ritual}/check-ins",
            "alex",
            {"client_id": str(uuid.uuid4())},
        )
    assert any(c.startswith("do_commit") for c in calls)
    assert len(calls) <= 6, calls


def test_a_read_sends_no_begin_and_no_rollback(client: FlaskClient, couple: dict[str, Any]) -> None:
    call(client, "GET", "/v1/couple/streaks", "alex")
    with round_trips() as calls:
        call(client, "GET", "/v1/couple/streaks", "alex")
    assert [c.split()[0] for c in calls] == ["do_execute", "do_execute"], calls


CONTENT = Path(__file__).resolve().parents[1] / "content"


@pytest.fixture
def lived_in(client: FlaskClient, couple: dict[str, Any], clock: Any) -> dict[str, Any]:
    """The couple of `couple` a day on, with something in every read: the shipped content,
    yesterday's question answered by both, a message each way, a gratitude entry, a memory with
    a listed photo, today's moods with needs, Alex's phone, and Robin's (unpaired) live invite."""
    import_content(db.session, load(CONTENT))
    question = call(client, "GET", "/v1/couple/questions/today", "alex")["id"]
    for uid in ("alex", "sam"):
        body = {"text": f"{uid}'s answer", "client_id": str(uuid.uuid4())}
        call(client, "PUT", f"/v1/couple/questions/{question}/answer", uid, body)
    thursday = clock.advance(days=1)  # the question is history now
    affirmation = call(client, "GET", "/v1/affirmations?limit=1", "sam")["items"][0]["id"]
    for uid, body in (
        ("sam", {"affirmation_id": affirmation}),
        ("alex", {"text": "You make my mornings."}),
    ):
        call(
            client, "POST", "/v1/couple/affirmations", uid, {**body, "client_id": str(uuid.uuid4())}
        )
    call(
        client,
        "POST",
        "/v1/couple/gratitude",
        "alex",
        {"text": "The coffee.", "client_id": str(uuid.uuid4())},
    )
    memory = call(
        client,
        "POST",
        "/v1/couple/memories",
        "alex",
        {"title": "Lisbon", "happened_on": "2026-02-14", "client_id": str(uuid.uuid4())},
    )["id"]
    db.session.add(
        MemoryPhoto(
            memory_id=memory,
            key=f"memories/test/{memory}/photo",
            content_type="image/jpeg",
            size_bytes=1024,
            status=PHOTO_READY,
            created_at=thursday,
            confirmed_at=thursday,
        )
    )
    db.session.commit()
    needs = [n["slug"] for n in call(client, "GET", "/v1/needs", "alex")[:2]]
    for uid, mood in (("alex", 4), ("sam", 2)):
        body = {"mood": mood, "needs": needs, "client_id": str(uuid.uuid4())}
        call(client, "POST", "/v1/couple/moods", uid, body)
    call(client, "POST", "/v1/devices", "alex", {"token": "fcm-" + "x" * 150, "platform": "ios"})
    call(client, "POST", "/v1/invites", "robin")
    return {"ritual": couple["rituals"][0], "question": question, "memory": memory}


# Every view marked @read_only, with a request that finds something to read (as Alex unless
# named). test_every_read_only_view_is_covered keeps this list and the marks in step.
READ_ONLY_VIEWS = [
    ("/v1/me", "alex"),
    ("/v1/couple", "alex"),
    ("/v1/notifications", "alex"),
    ("/v1/devices", "alex"),
    ("/v1/couple/rituals", "alex"),
    ("/v1/couple/rituals/{ritual}", "alex"),
    ("/v1/couple/rituals/{ritual}/check-ins", "alex"),
    ("/v1/couple/rituals/{ritual}/streak", "alex"),
    ("/v1/couple/streaks", "alex"),
    ("/v1/ritual-templates", "alex"),
    ("/v1/affirmations", "alex"),
    ("/v1/affirmations/daily", "alex"),
    ("/v1/couple/affirmations", "alex"),
    ("/v1/couple/gratitude", "alex"),
    ("/v1/couple/memories", "alex"),
    ("/v1/couple/memories/{memory}", "alex"),
    ("/v1/needs", "alex"),
    ("/v1/couple/moods", "alex"),
    ("/v1/couple/moods/today", "alex"),
    ("/v1/couple/moods/summary", "alex"),
    ("/v1/invites/current", "robin"),
    ("/v1/couple/questions", "alex"),
    ("/v1/couple/questions/today", "alex"),
    ("/v1/couple/questions/{question}", "alex"),
    ("/v1/couple/recaps", "alex"),
    ("/v1/couple/recaps/2026-W10", "alex"),
]


# Reads whose child rows (a mood's needs, a memory's photos, a question's answers and texts) or
# lasting day come in the same SELECT: the auth SELECT and one more, with the lived-in couple's
# needs, listed photo and answered question (question history and one question: five each
# before). The recaps: the auth SELECT, the figures (with the lasting day) and the rituals (with
# their live streaks); six before.
FOLDED_READS = [
    ("/v1/couple/moods", 2),
    ("/v1/couple/moods/today", 2),
    ("/v1/couple/moods/summary", 2),
    ("/v1/couple/memories", 2),
    ("/v1/couple/memories/{memory}", 2),
    ("/v1/couple/questions", 2),
    ("/v1/couple/questions/{question}", 2),
    ("/v1/couple/recaps", 3),
    ("/v1/couple/recaps/2026-W10", 3),
]


@pytest.mark.parametrize(("template", "ceiling"), FOLDED_READS)
def test_folded_reads_stay_within_their_round_trips(
    client: FlaskClient, lived_in: dict[str, Any], template: str, ceiling: int
) -> None:
    path = template.format(**lived_in)
    call(client, "GET", path, "alex")  # warm: first sight of a route, lazy loads
    with round_trips() as calls:
        body = call(client, "GET", path, "alex")
    assert _has_content(body), body
    if "memories" in template:  # the photo is really read
        memory = body["items"][0] if "items" in body else body
        assert memory["photos"], body
    if template.endswith("/moods"):
        assert all(entry["needs"] for entry in body["items"]), body
    if "questions" in template:  # both answers and the text are really read
        question = body["items"][0] if "items" in body else body
        assert question["partner_answer"] and question["question"]["text"], body
    if "recaps" in template:  # the week in progress: its rituals' live streaks are read
        recap = body["items"][0] if "items" in body else body
        assert recap["in_progress"] and recap["rituals"], body
        assert all(r["streak"] is not None for r in recap["rituals"]), body
    assert len(calls) <= ceiling, "\n".join(calls)


def _has_content(body: Any) -> bool:
    """Whether an answer holds something read (a page has items, today has both entries)."""
    if isinstance(body, dict) and "items" in body:
        return bool(body["items"])
    if isinstance(body, dict) and "me" in body:
        return body["me"] is not None and body["partner"] is not None
    return bool(body)


def test_todays_question_is_read_in_one_select(
    client: FlaskClient, lived_in: dict[str, Any]
) -> None:
    """Today's question with both answers and its text: the auth SELECT and one more, without
    BEGIN and ROLLBACK (six round trips before: BEGIN, three more SELECTs, ROLLBACK); the
    day's first read still chooses the question and commits it (@read_only, the view commits
    out of autocommit first)."""
    with round_trips() as first:
        question = call(client, "GET", "/v1/couple/questions/today", "alex")["id"]  # chosen
    names = [c.split(" (")[0][:40] for c in first]
    insert = names.index("do_execute INSERT INTO couple_questions")
    assert "do_commit" in names[insert:], first
    for uid in ("alex", "sam"):
        body = {"text": f"{uid}'s answer", "client_id": str(uuid.uuid4())}
        call(client, "PUT", f"/v1/couple/questions/{question}/answer", uid, body)
    with round_trips() as calls:
        today = call(client, "GET", "/v1/couple/questions/today", "alex")
    assert today["id"] == question and today["partner_answer"] is not None, today
    assert len(calls) <= 2, "\n".join(calls)
    assert all(c.startswith("do_execute SELECT ") for c in calls), calls


def test_the_daily_affirmation_already_picked_is_read_in_one_select(
    client: FlaskClient, lived_in: dict[str, Any]
) -> None:
    """The day's pick made: the auth SELECT and one more, without BEGIN and ROLLBACK (four
    round trips before, in a transaction); the day's first read still writes its pick and
    commits it (@read_only, the view commits out of autocommit first)."""
    with round_trips() as first:
        pick = call(client, "GET", "/v1/affirmations/daily", "alex")
    names = [c.split(" (")[0][:40] for c in first]
    insert = names.index("do_execute INSERT INTO daily_suggestions")
    assert "do_commit" in names[insert:], first
    with round_trips() as calls:
        assert call(client, "GET", "/v1/affirmations/daily", "alex") == pick
    assert len(calls) <= 2, "\n".join(calls)
    assert all(c.startswith("do_execute SELECT ") for c in calls), calls


@pytest.mark.parametrize(("template", "uid"), READ_ONLY_VIEWS)
def test_a_read_only_view_sends_no_begin_and_no_rollback(
    client: FlaskClient, lived_in: dict[str, Any], template: str, uid: str
) -> None:
    path = template.format(**lived_in)
    call(client, "GET", path, uid)  # warm: first sight of a route, lazy loads
    with round_trips() as calls:
        body = call(client, "GET", path, uid)
    assert _has_content(body), body
    # Statements only (no BEGIN, ROLLBACK nor COMMIT), and each of them a SELECT.
    assert calls and all(c.startswith("do_execute SELECT ") for c in calls), calls


def _marked_views(app: Flask) -> dict[str, list[str]]:
    """Each endpoint with a view marked @read_only, and the methods of its marked views."""
    marked: dict[str, list[str]] = {}
    for endpoint, view in app.view_functions.items():
        view_class = getattr(view, "view_class", None)
        if view_class is None:
            if getattr(view, "hearth_read_only", False):
                methods = {m for rule in app.url_map.iter_rules(endpoint) for m in rule.methods}
                marked[endpoint] = sorted(methods - {"HEAD", "OPTIONS"})
            continue
        methods = sorted(
            m
            for m in (view_class.methods or ())
            if getattr(getattr(view_class, m.lower(), None), "hearth_read_only", False)
        )
        if methods:
            marked[endpoint] = methods
    return marked


def test_only_gets_are_marked_read_only(app: Flask) -> None:
    """A write in autocommit commits at once: @read_only is for GET views only, never a POST,
    PATCH, PUT or DELETE (nor a function view that also takes one)."""
    marked = _marked_views(app)
    assert marked, "the walk found no marked view"
    assert {endpoint: methods for endpoint, methods in marked.items() if methods != ["GET"]} == {}


def test_the_guard_sees_a_marked_post() -> None:
    """The walk of test_only_gets_are_marked_read_only finds a mark on a MethodView's post."""
    from flask.views import MethodView

    class Wrong(MethodView):
        @read_only
        def post(self) -> str:
            return ""

    probe = Flask(__name__)
    probe.add_url_rule("/wrong", view_func=Wrong.as_view("wrong"))
    assert _marked_views(probe) == {"wrong": ["POST"]}


def test_every_read_only_view_is_covered(app: Flask) -> None:
    """READ_ONLY_VIEWS names every marked view, and only those."""
    urls = app.url_map.bind("localhost")
    ids = {"ritual": 1, "question": 1, "memory": 1}
    covered = {urls.match(t.format(**ids), method="GET")[0] for t, _ in READ_ONLY_VIEWS}
    assert covered == set(_marked_views(app))


def test_a_read_gives_its_connection_back_transactional(
    client: FlaskClient, couple: dict[str, Any]
) -> None:
    """The autocommit of a read ends with the request: the next user of the connection
    (a write) runs in a transaction that a ROLLBACK undoes."""
    from sqlalchemy import text

    for _ in range(3):
        call(client, "GET", "/v1/me", "alex")
    with db.engine.connect() as conn:
        assert conn.get_isolation_level() != "AUTOCOMMIT"
        before = conn.execute(text("SELECT count(*) FROM rituals")).scalar_one()
        conn.execute(text("UPDATE rituals SET title = 'changed'"))
        conn.rollback()
        assert (
            conn.execute(text("SELECT count(*) FROM rituals WHERE title = 'changed'")).scalar_one()
            == 0
        )
        assert before == 2


def test_a_write_in_a_read_request_is_not_in_autocommit_after_first_sight(
    client: FlaskClient,
) -> None:
    """The first sight of a user is an INSERT and COMMIT in the auth step, then the read."""
    response = client.get("/v1/me", headers=auth("newcomer"))
    assert response.status_code == 200
    assert response.get_json()["id"] > 0


def test_the_counter_sees_pings_begin_and_the_pool_reset(client: FlaskClient) -> None:
    """The instrument itself: a ping, psycopg's BEGIN and a returned connection's rollback."""
    with round_trips() as calls, db.engine.connect() as conn:
        db.engine.dialect.do_ping(conn.connection.dbapi_connection)
        conn.exec_driver_sql("UPDATE users SET locale = locale WHERE id = -1")
    if db.engine.dialect.name == "postgresql":
        expected = ["do_ping", "BEGIN", "do_execute", "do_rollback"]
    else:
        expected = ["do_ping", "do_execute", "do_rollback"]
    assert [c.split()[0] for c in calls] == expected, calls


@pytest.mark.postgres
def test_a_connection_killed_while_idle_is_replaced_before_the_request_uses_it(
    make_app: Any,
) -> None:
    """No per-checkout ping, yet a server-side disconnect of an idle connection is no error."""
    from sqlalchemy import text

    import api.pool

    app = make_app()  # its own engine: the listener added below stays there
    with app.app_context():
        engine = db.engine
    api.pool.ping_idle_connections(engine, idle_seconds=0.0)
    client = app.test_client()
    call(client, "GET", "/v1/me", "alex")  # a pooled connection, now idle
    # Every pooled connection of this database but the one running the kill goes away.
    with db.engine.connect() as conn:
        conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE pid <> pg_backend_pid() AND datname = current_database()"
            )
        )
    for _ in range(3):
        assert client.get("/v1/me", headers=auth("alex")).status_code == 200
    # The kill took the session-wide test app's idle connections too (same database), and that
    # engine has no idle ping: drop them so the cleanup after this test gets live ones.
    db.engine.dispose()


# Reads that build their answer from columns (fetch_rows, JSON columns, Core SELECTs): loading
# ORM objects (every column, the identity map, instance state) was the largest part of their
# own CPU. The auth step's user and couple are frozen snapshots in every read.
COLUMN_READS = [
    "/v1/ritual-templates",
    "/v1/notifications",
    "/v1/couple/gratitude",
    "/v1/couple/affirmations",
    "/v1/couple/affirmations?box=sent",
    "/v1/couple/rituals",
    "/v1/couple/rituals/{ritual}",
    "/v1/couple/rituals/{ritual}/check-ins",
    "/v1/couple/rituals/{ritual}/streak",
    "/v1/couple/streaks",
    "/v1/couple/questions",
    "/v1/couple/questions/{question}",
    "/v1/couple/questions/today",
    "/v1/couple/moods",
    "/v1/couple/memories",
    "/v1/couple/memories/{memory}",
]


@contextmanager
def orm_loads() -> Iterator[list[str]]:
    """The class name of each ORM object loaded from a row inside the block, in order."""
    from sqlalchemy import event
    from sqlalchemy.orm import Mapper

    loaded: list[str] = []

    def on_load(target: Any, context: Any) -> None:
        loaded.append(type(target).__name__)

    event.listen(Mapper, "load", on_load)
    try:
        yield loaded
    finally:
        event.remove(Mapper, "load", on_load)


@pytest.mark.parametrize("template", COLUMN_READS)
def test_column_reads_load_no_orm_object(
    client: FlaskClient, lived_in: dict[str, Any], template: str
) -> None:
    path = template.format(**lived_in)
    call(client, "GET", path, "alex")  # warm
    with orm_loads() as loaded:
        body = call(client, "GET", path, "alex")
    assert _has_content(body), body
    assert loaded == []


@pytest.mark.parametrize(("template", "uid"), READ_ONLY_VIEWS)
def test_a_read_only_view_gets_snapshots_of_its_user_and_couple(
    client: FlaskClient, lived_in: dict[str, Any], template: str, uid: str
) -> None:
    """The auth step of a read loads no User or Couple object: frozen snapshots (api/auth.py)."""
    from api.pairing.models import Couple
    from api.users.models import User

    path = template.format(**lived_in)
    call(client, "GET", path, uid)  # warm
    with orm_loads() as loaded:
        body = call(client, "GET", path, uid)
    assert _has_content(body), body
    assert [name for name in loaded if name in (User.__name__, Couple.__name__)] == []


@contextmanager
def orm_executions() -> Iterator[list[str]]:
    """The first words of each statement run through Session.execute (the ORM's execution and
    result layer) inside the block; execute_core's plain Core statements are not counted."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    ran: list[str] = []

    def on_execute(state: Any) -> None:
        ran.append(str(state.statement).split("\n")[0][:60])

    event.listen(Session, "do_orm_execute", on_execute)
    try:
        yield ran
    finally:
        event.remove(Session, "do_orm_execute", on_execute)


@pytest.mark.parametrize(("template", "uid"), READ_ONLY_VIEWS)
def test_a_read_only_view_runs_its_statements_as_plain_core(
    client: FlaskClient, lived_in: dict[str, Any], template: str, uid: str
) -> None:
    """Reads, the auth step's included, skip the ORM's execution layer (api.db_utils.execute_core):
    about a third of a one-statement read's own cost, even for a SELECT of no entity."""
    path = template.format(**lived_in)
    call(client, "GET", path, uid)  # warm
    with orm_executions() as ran:
        body = call(client, "GET", path, uid)
    assert _has_content(body), body
    assert ran == []


def test_an_empty_feed_runs_as_plain_core_too(client: FlaskClient) -> None:
    """The feed's other path: no row to carry the unread count, so it is asked apart."""
    call(client, "GET", "/v1/notifications", "no-news")  # first sight (an ORM insert), warm
    with orm_executions() as ran:
        body = call(client, "GET", "/v1/notifications", "no-news")
    assert body == {"items": [], "next_cursor": None, "unread_count": 0}, body
    assert ran == []

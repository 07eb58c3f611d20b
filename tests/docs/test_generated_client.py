"""A Python client generated from openapi/openapi.json, with no warnings, drives a real flow.

openapi-python-client generates the client into a temporary folder from the committed spec;
the client then pairs two people, creates a ritual, checks in and reads the streak against
the app (through httpx's WSGI transport), so a spec generators choke on fails here.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "openapi" / "openapi.json"
GENERATOR = Path(sys.executable).with_name("openapi-python-client")
PACKAGE = "hearth_client"


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The generated client package, imported from a temporary folder."""
    folder = tmp_path_factory.mktemp("client")
    config = folder / "config.yaml"
    # No post hooks: formatting the output is not what this test is about.
    config.write_text(f"post_hooks: []\npackage_name_override: {PACKAGE}\n")
    result = subprocess.run(
        [
            str(GENERATOR),
            "generate",
            "--path",
            str(SPEC),
            "--meta",
            "none",
            "--config",
            str(config),
            "--output-path",
            str(folder / PACKAGE),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "warning" not in output.lower(), output
    sys.path.insert(0, str(folder))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(folder))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def _client(package, app, uid: str):  # type: ignore[no-untyped-def]
    return package.AuthenticatedClient(
        base_url="http://hearth.test",
        token=f"dev:{uid}",
        raise_on_unexpected_status=True,
        httpx_args={"transport": httpx.WSGITransport(app=app)},
    )


def test_generated_client_pairs_creates_a_ritual_checks_in_and_reads_the_streak(
    generated, app, clock
):
    clock.set(datetime(2026, 3, 10, 18, 0, tzinfo=UTC))
    invite_api = importlib.import_module(f"{PACKAGE}.api.invites.create_invite")
    current_api = importlib.import_module(f"{PACKAGE}.api.invites.get_current_invite")
    join_api = importlib.import_module(f"{PACKAGE}.api.couple.join_couple")
    ritual_api = importlib.import_module(f"{PACKAGE}.api.rituals.create_ritual")
    checkin_api = importlib.import_module(f"{PACKAGE}.api.streaks.create_ritual_check_in")
    history_api = importlib.import_module(f"{PACKAGE}.api.streaks.list_ritual_check_ins")
    streak_api = importlib.import_module(f"{PACKAGE}.api.streaks.get_ritual_streak")
    me_api = importlib.import_module(f"{PACKAGE}.api.me.get_me")
    models = importlib.import_module(f"{PACKAGE}.models")
    alex, sam = _client(generated, app, "alex"), _client(generated, app, "sam")
    lines: list[str] = []

    me = me_api.sync(client=alex)
    assert isinstance(me, models.Me) and me.quiet_hours is None

    missing = current_api.sync_detailed(client=alex)
    assert missing.status_code == 404 and isinstance(missing.parsed, models.Problem)

    invite = invite_api.sync(client=alex)
    assert isinstance(invite, models.Invite)
    lines.append(f"createInvite -> {invite.code} (expires {invite.expires_at.isoformat()})")

    couple = join_api.sync(client=sam, body=models.Join(code=invite.code.lower()))
    assert isinstance(couple, models.Couple)
    names = sorted(p.display_name for p in couple.partners)
    lines.append(f"joinCouple -> couple {couple.id}, partners {names}")

    days = [models.ScheduleInDaysItem(d) for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")]
    ritual = ritual_api.sync(
        client=alex,
        body=models.RitualCreate(
            client_id=uuid.uuid4(),
            title="Six-second kiss",
            schedule=models.ScheduleIn(days=days, time="18:30"),
            reminder=models.ReminderIn(enabled=True, minutes_before=10),
            completion=models.RitualCreateCompletion.EITHER,
        ),
    )
    assert isinstance(ritual, models.Ritual)
    lines.append(
        f"createRitual -> ritual {ritual.id} {ritual.title!r}, next {ritual.next_occurrence_at}"
    )

    checkin = checkin_api.sync(
        client=sam, ritual_id=ritual.id, body=models.CheckInIn(client_id=uuid.uuid4())
    )
    assert isinstance(checkin, models.CheckIn)
    lines.append(f"createRitualCheckIn -> check-in {checkin.id} for {checkin.local_date}")

    history = history_api.sync(client=alex, ritual_id=ritual.id)
    assert isinstance(history, models.CheckInPage)
    assert [c.id for c in history.items] == [checkin.id]

    streak = streak_api.sync(client=alex, ritual_id=ritual.id)
    assert isinstance(streak, models.Streak)
    lines.append(
        f"getRitualStreak -> current {streak.current}, longest {streak.longest},"
        f" completed_today {streak.completed_today}"
    )
    assert (streak.current, streak.completed_today) == (1, True)
    print("\n" + "\n".join(lines))

"""README's "Deploying on PostgreSQL + Redis", taken literally: its settings start production."""

from __future__ import annotations

import re
from pathlib import Path

from api.config import Config

ROOT = Path(__file__).resolve().parents[2]

# A plausible value for each variable the steps name (what the operator would fill in).
VALUES = {
    "APP_ENV": "production",
    "DATABASE_URL": "postgresql://hearth@db.internal:5432/hearth",
    "REDIS_URL": "redis://redis.internal:6379/0",
    "TRUSTED_PROXIES": "1",
    "STORAGE_URL": "https://s3.example.com",
}


def _deploy_section() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return readme.split("## Deploying on PostgreSQL + Redis", 1)[1].split("\n## ", 1)[0]


def test_the_settings_the_deploy_steps_name_are_enough_for_production():
    step_one = _deploy_section().split("\n2. ", 1)[0]
    to_set = step_one.split("Leave", 1)[0]  # after it: the variables production refuses
    named = dict.fromkeys(re.findall(r"`([A-Z][A-Z0-9_]+)(?:=(\w+))?`", to_set))
    env = {name: value or VALUES.get(name, "x") for name, value in named}
    assert env["APP_ENV"] == "production"
    Config.from_env(env)  # raises ConfigError with the one-line reason when one is missing


def test_the_deploy_steps_load_the_content_library_after_migrating():
    steps = _deploy_section()
    assert steps.index("hearth db upgrade") < steps.index("hearth content import content/")

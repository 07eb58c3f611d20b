"""Hearth broken on purpose: the fault scenarios of issue 16 as a table.

    python bench/faults.py --database-url postgresql://postgres@127.0.0.1:5432/test \\
        [--code-root PATH] [--scenarios redis_stopped,worker_killed] [--bound 60]

Runs the processes of the checkout at --code-root (default: this one) as its Procfile says
(gunicorn, two `rq worker`s, the clock), a throwaway redis-server on a spare port, a
database of its own on the given PostgreSQL server, and the fake FCM server in its own
process; then each scenario of tests/faults/harness.py in turn, and prints one row each:
requests (5xx / no answer), the slowest request, (notification, device) pairs owed →
delivered, extra copies, copies whose outcome is unknown, and the time from the repair until
everything owed was delivered (or "not within the bound").

To measure an older commit: `git worktree add /tmp/before <commit>`, make its .venv or use
this one, and pass --code-root /tmp/before (the harness and the fake stay this checkout's).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.faults import harness  # noqa: E402


def main() -> None:
    """Run the scenarios and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="a PostgreSQL server (admin)")
    parser.add_argument("--code-root", type=Path, default=ROOT, help="the checkout to run")
    parser.add_argument("--scenarios", default="", help="comma-separated names; default all")
    parser.add_argument("--bound", type=float, default=90.0, help="seconds to wait to recover")
    args = parser.parse_args()
    chosen = [s for s in args.scenarios.split(",") if s]
    scenarios = [s for s in harness.SCENARIOS if not chosen or s.__name__ in chosen]
    workdir = Path(tempfile.mkdtemp(prefix="hearth-faults-"))
    print(f"code: {args.code_root.resolve()}  logs: {workdir}", flush=True)
    started = time.monotonic()
    stack = harness.Stack(args.code_root, workdir, args.database_url).start()
    results = []
    try:
        for scenario in scenarios:
            print(f"... {scenario.__name__}", flush=True)
            results.append(scenario(stack, bound=args.bound))
            results[-1].notes += stack.ensure_running()
            print(harness.table(results[-1:]).splitlines()[-1], flush=True)
    finally:
        stack.close()
    print()
    print(harness.table(results))
    print(f"\n{len(results)} scenarios in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()

"""What FIREBASE_CHECK_REVOKED costs per authenticated request (item 11 of issue 14).

Three ways to verify the same Firebase ID token, against the fake Google server of the tests
(certificates, OAuth and the Identity Toolkit account lookup on loopback, so the lookup's
network time here is a floor: in production each lookup is a round trip to Google):

- baseline: verify_id_token (signature and claims; the certificates are cached);
- checked: verify_id_token(check_revoked=True) each time (one account lookup per request);
- cached: Hearth's path with FIREBASE_CHECK_REVOKED=true (one lookup per token per
  REVOCATION_CACHE_SECONDS, here every request after the first is a cache hit).

Prints the time per request of each (the median of 5 interleaved blocks) and its ratio to the
baseline.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ROUNDS = 300
BLOCKS = 5


def main() -> None:
    from firebase_admin import auth as firebase_auth

    from api import auth, firebase
    from api.config import Config
    from tests.fakes.google import FakeGoogle

    fake = FakeGoogle().start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            account = fake.write_service_account(Path(tmp) / "sa.json")
            config = Config.from_env(
                {},
                APP_ENV="test",
                AUTH_MODE="firebase",
                GOOGLE_APPLICATION_CREDENTIALS=str(account),
                FIREBASE_PROJECT_ID=fake.project_id,
                FIREBASE_CERT_URL=fake.cert_url,
                FIREBASE_AUTH_URL=fake.auth_url,
                FIREBASE_CHECK_REVOKED=True,
                REVOCATION_CACHE_SECONDS=60.0,
            )
            app = firebase.get_app(config)
            token = fake.mint_id_token("bench-user")
            # Warm up: certificates fetched, OAuth token for the lookup obtained.
            firebase_auth.verify_id_token(token, app=app, check_revoked=True)

            uncached = replace(config, REVOCATION_CACHE_SECONDS=0.0)
            paths = {
                "baseline verify_id_token": lambda: firebase_auth.verify_id_token(token, app=app),
                "check_revoked=True, every request": lambda: firebase_auth.verify_id_token(
                    token, app=app, check_revoked=True
                ),
                "Hearth, FIREBASE_CHECK_REVOKED, cache 0 s": lambda: auth._verify_id_token(
                    token, uncached
                ),
                "Hearth, FIREBASE_CHECK_REVOKED, cache 60 s": lambda: auth._verify_id_token(
                    token, config
                ),
            }
            # Interleaved blocks, median per path: a shared machine's noise hits all alike.
            samples: dict[str, list[float]] = {name: [] for name in paths}
            lookups_before = fake.account_lookups
            for _ in range(BLOCKS):
                for name, call in paths.items():
                    start = time.perf_counter()
                    for _ in range(ROUNDS // BLOCKS):
                        call()
                    samples[name].append((time.perf_counter() - start) / (ROUNDS // BLOCKS) * 1000)
            lookups = fake.account_lookups - lookups_before
    finally:
        fake.stop()
    medians = {name: statistics.median(values) for name, values in samples.items()}
    baseline = medians["baseline verify_id_token"]
    print(f"{ROUNDS} verifications per path of one ID token (fake Google on loopback):")
    print(f"{'path':<42} {'ms/request':>11} {'ratio':>7}")
    for name, value in medians.items():
        print(f"{name:<42} {value:>11.3f} {value / baseline:>7.2f}")
    print(f"account lookups: {lookups} (one per uncached checked request, one for the cache)")


if __name__ == "__main__":
    main()

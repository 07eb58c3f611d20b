from tests.fakes.fixtures import (  # noqa: F401
    _fake_google_server,
    fake_google,
    firebase_auth_app,
    firebase_sender,
    service_account_file,
)

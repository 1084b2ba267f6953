import os
import shutil

import pytest
from django.db import connection

from skills_app.accounts.permissions import Role
from skills_app.accounts.services import user_create_with_roles

IN_CI = os.environ.get("CI", "").lower() == "true"
PASSWORD = "correct-horse-battery-staple"


def skip_or_fail(reason: str):
    """Missing infrastructure skips locally but fails in CI, so CI can never
    pass by quietly not running a suite."""
    if IN_CI:
        pytest.fail(f"{reason} (required when CI=true)")
    pytest.skip(reason)


def pytest_collection_modifyitems(config, items):
    """Tag tests by the infrastructure they need, so a run can deselect them
    explicitly (CI's SQLite pass: -m "not browser and not postgres_only")."""
    for item in items:
        if "postgres_only" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.postgres_only)


@pytest.fixture(scope="session", autouse=True)
def _flush_may_truncate_audit():
    """Transactional tests end with Django's flush, a TRUNCATE of every table;
    the audit table refuses TRUNCATE (audit migration 0005) unless the session
    opts out, which only its owner can use. Test connections opt out."""
    from django.db.backends.signals import connection_created

    def allow(sender, connection, **kwargs):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET muster.allow_audit_truncate = 'on'")

    connection_created.connect(allow, weak=False, dispatch_uid="muster-test-truncate")
    if connection.vendor == "postgresql" and connection.connection is not None:
        allow(None, connection)
    yield
    connection_created.disconnect(dispatch_uid="muster-test-truncate")


@pytest.fixture
def postgres_only(db):
    if connection.vendor != "postgresql":
        skip_or_fail("needs PostgreSQL: set DATABASE_URL=postgres://...")


@pytest.fixture(autouse=True)
def _fresh_matching_index():
    """Each test's database starts empty (its writes roll back), so no test may
    search an index another test built."""
    from skills_app.index.adapter import reset_index

    reset_index()
    yield
    reset_index()


@pytest.fixture
def chromium_path():
    path = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    if not shutil.which(path):
        skip_or_fail(f"Chromium not found at {path}: apt-get install chromium")
    return path


@pytest.fixture
def make_user(db):
    def make(*roles: Role, username: str | None = None):
        name = username or "_".join(str(r) for r in roles) or "norole"
        return user_create_with_roles(username=name, password=PASSWORD, roles=set(roles))

    return make


@pytest.fixture
def client_for(client, make_user):
    """A test client signed in with exactly ``roles``."""

    def login(*roles: Role):
        user = make_user(*roles)
        client.force_login(user)
        return client

    return login


@pytest.fixture(autouse=True)
def _notifications_recorded_not_sent(settings):
    """No test sends a real email, whatever NOTIFY_API_KEY the developer's environment
    holds: notifications go to the recording backend, whose outbox starts empty."""
    from skills_app.notify.backends import RECORDING, RecordingBackend

    settings.NOTIFY_BACKEND = RECORDING
    RecordingBackend.outbox.clear()
    yield
    RecordingBackend.outbox.clear()

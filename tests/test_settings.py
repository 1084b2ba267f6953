"""Settings come from the environment; production mode is safe to deploy."""

import os
import secrets
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from skills_app.notify.events import Event, template_setting_name

ROOT = Path(__file__).resolve().parents[1]
PRODUCTION_ENV = {
    "MUSTER_ENV": "production",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "muster.example.gov.uk",
    "DATABASE_URL": "sqlite:////tmp/muster-deploy-check.sqlite3",
    "SITE_URL": "https://muster.example.gov.uk",
    # GOV.UK Notify: a key of Notify's shape and one template id per event.
    "NOTIFY_API_KEY": f"muster_live-{uuid.uuid4()}-{uuid.uuid4()}",
    **{template_setting_name(event): str(uuid.uuid4()) for event in Event},
}


def manage(*args, **env_overrides):
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS"}}
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )


def test_production_mode_passes_the_deployment_checklist():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr


def test_development_mode_fails_the_deployment_checklist():
    """Proves the check above can fail: the dev defaults are not deployable."""
    result = manage("check", "--deploy", "--fail-level", "WARNING", MUSTER_ENV="development")
    assert result.returncode != 0


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS"])
def test_production_refuses_to_start_without(missing):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != missing}
    result = manage("check", **env)
    assert result.returncode != 0
    assert f"{missing} must be set" in result.stderr


def test_wildcard_hosts_are_refused():
    result = manage("check", **{**PRODUCTION_ENV, "ALLOWED_HOSTS": "*"})
    assert result.returncode != 0
    assert "wildcard" in result.stderr


def test_postgres_url_turns_on_the_connection_pool():
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='skills_app.settings';"
        "from django.conf import settings as s; d=s.DATABASES['default'];"
        "print(d['ENGINE'], bool(d['OPTIONS'].get('pool')), d['NAME'])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "DATABASE_URL": "postgres://u@db.internal:5432/muster"},
    )
    assert result.stdout.split() == ["django.db.backends.postgresql", "True", "muster"]


@pytest.mark.django_db
def test_signed_in_pages_are_not_cached_and_carry_a_csp(client_for):
    from skills_app.accounts.permissions import Role

    response = client_for(Role.STAFF).get("/roles/")
    assert response["Cache-Control"] == "no-store"
    csp = response["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in csp
    assert "frame-ancestors 'none'" in csp


@pytest.mark.django_db
def test_repeated_failed_logins_lock_the_account(client, make_user):
    from django.conf import settings

    from skills_app.accounts.permissions import Role
    from tests.conftest import PASSWORD

    make_user(Role.STAFF, username="alice")
    for _ in range(settings.AXES_USERNAME_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": "alice", "password": "wrong"})
    response = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_an_empty_database_url_means_the_sqlite_default():
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='skills_app.settings';"
        "from django.conf import settings as s; print(s.DATABASES['default']['ENGINE'])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "DATABASE_URL": ""},
    )
    assert result.stdout.strip() == "django.db.backends.sqlite3", result.stderr


@pytest.fixture
def console(settings, monkeypatch):
    """Configure logging exactly as Django does at start-up (its defaults, then
    settings.LOGGING), with stderr captured; put the real configuration back after."""
    import io
    import logging

    from django.utils.log import configure_logging

    settings.DEBUG = True  # Django's own console handler only writes when DEBUG is on
    stream = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    configure_logging(settings.LOGGING_CONFIG, settings.LOGGING)
    yield stream, logging
    monkeypatch.undo()
    configure_logging(settings.LOGGING_CONFIG, settings.LOGGING)


def test_a_django_log_line_is_written_once(console):
    stream, logging = console
    logging.getLogger("django.utils.autoreload").info("Watching for file changes")
    logging.getLogger("skills_app.worker").info("housekeeping ran")
    output = stream.getvalue()
    assert output.count("Watching for file changes") == 1, output
    assert output.count("housekeeping ran") == 1, output


def test_a_request_warning_is_written_once_and_masked_once(console):
    stream, logging = console
    logging.getLogger("django.request").warning("Unauthorized: %s", "/api/v1/people/P0000001")
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].endswith("WARNING django.request Unauthorized: /api/v1/people/[staff number]")


def test_runserver_does_not_log_answered_health_probes(console):
    stream, logging = console
    server = logging.getLogger("django.server")
    for request_line, status in [
        ("GET /healthz HTTP/1.1", 200),
        ("GET /healthz HTTP/1.1", 503),
        ("GET /skills/ HTTP/1.1", 200),
    ]:
        server.info('"%s" %s %s', request_line, status, 16, extra={"status_code": status})
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2, lines
    assert '"GET /healthz HTTP/1.1" 503' in lines[0]
    assert '"GET /skills/ HTTP/1.1" 200' in lines[1]

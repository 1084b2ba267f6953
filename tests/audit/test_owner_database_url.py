"""Schema and retention commands connect as the owner (MIGRATION_DATABASE_URL);
everything else, the web app and worker included, as the app role (DATABASE_URL)."""

import sys
from pathlib import Path

import pytest

SETTINGS = Path(__file__).resolve().parents[2] / "skills_app" / "settings.py"
APP = "postgres://muster_app@db.example:5432/muster"
OWNER = "postgres://muster_owner@db.example:5432/muster"


def _database_user(monkeypatch, argv, owner_url=OWNER):
    monkeypatch.setenv("DATABASE_URL", APP)
    monkeypatch.setenv("MIGRATION_DATABASE_URL", owner_url)
    monkeypatch.setattr(sys, "argv", argv)
    # Not runpy.run_path: it replaces sys.argv[0], which the settings read.
    namespace = {"__file__": str(SETTINGS), "__name__": "settings_probe"}
    exec(compile(SETTINGS.read_text(), str(SETTINGS), "exec"), namespace)  # noqa: S102
    return namespace["DATABASES"]["default"]["USER"]


@pytest.mark.parametrize("command", ["migrate", "apply_retention", "grant_app_role"])
def test_owner_commands_use_the_migration_url(monkeypatch, command):
    assert _database_user(monkeypatch, ["manage.py", command]) == "muster_owner"


@pytest.mark.parametrize(
    "argv",
    [
        ["manage.py", "runserver"],
        ["manage.py", "db_worker"],
        ["gunicorn", "migrate"],
        ["manage.py"],
    ],
)
def test_everything_else_uses_the_app_role(monkeypatch, argv):
    assert _database_user(monkeypatch, argv) == "muster_app"


def test_without_a_migration_url_migrate_uses_database_url(monkeypatch):
    assert _database_user(monkeypatch, ["manage.py", "migrate"], owner_url="") == "muster_app"

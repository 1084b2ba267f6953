"""A clean first run (issue 14 item 6): `make demo` writes the demo logins to a private
file for the announcement instead of printing them early, and the commands it and the
worker run print results, not pages of detail."""

import io
import re
import stat
from collections import Counter
from types import SimpleNamespace

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import RequestFactory

from skills_app.demo.generator import DEMO_USERNAMES


@pytest.fixture(autouse=True)
def fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.mark.django_db
def test_seed_demo_writes_the_logins_to_a_private_file_instead_of_printing_them(tmp_path):
    logins = tmp_path / "var" / "demo-logins.txt"
    out = io.StringIO()
    call_command("seed_demo", "--people", "100", "--seed", "3", "--logins-file", logins, stdout=out)
    text = logins.read_text()
    assert stat.S_IMODE(logins.stat().st_mode) == 0o600
    assert text.startswith("Demo logins (new passwords for this run):\n")
    passwords = dict(re.findall(r"^.+?\s{2,}(\w+)\s{2,}([a-z]+-[a-z]+-[a-z]+-\d{4})\s", text, re.M))
    assert sorted(passwords) == sorted(DEMO_USERNAMES)
    for username, password in passwords.items():
        user = authenticate(RequestFactory().post("/"), username=username, password=password)
        assert user is not None and user.username == username
    printed = out.getvalue()
    assert f"Demo logins written to {logins}." in printed
    assert not any(password in printed for password in passwords.values())


@pytest.mark.django_db
def test_a_rerun_replaces_the_file_and_keeps_it_private(tmp_path):
    logins = tmp_path / "demo-logins.txt"
    logins.write_text("stale")
    logins.chmod(0o644)
    seed = ("seed_demo", "--people", "100", "--seed", "3", "--password", "fixed-demo-pass")
    call_command(*seed, "--logins-file", logins, stdout=io.StringIO())
    assert stat.S_IMODE(logins.stat().st_mode) == 0o600
    text = logins.read_text()
    assert "stale" not in text
    assert text.count("fixed-demo-pass") == len(DEMO_USERNAMES)


@pytest.mark.django_db
def test_without_a_logins_file_the_table_is_printed_as_before():
    out = io.StringIO()
    call_command("seed_demo", "--people", "100", "--seed", "3", "--password", "pw-1", stdout=out)
    assert out.getvalue().count("pw-1") == len(DEMO_USERNAMES)
    assert "Sign in at http://127.0.0.1:8000/" in out.getvalue()


@pytest.mark.django_db
def test_worker_housekeeping_runs_retention_silently():
    quiet, loud = io.StringIO(), io.StringIO()
    call_command("apply_retention", verbosity=0, stdout=quiet)
    call_command("apply_retention", stdout=loud)
    assert quiet.getvalue() == ""
    assert "Anonymised 0 leavers" in loud.getvalue()


def fake_esco_result():
    return SimpleNamespace(
        warnings=["group link A → B: unknown group", "occupation skill C → D: unknown occupation"],
        unjoined=Counter({"group links": 1, "occupation skills": 1}),
        changed=True,
        summary_lines=lambda: ["skills created: 2", "rows not joined (group links): 1"],
    )


@pytest.mark.parametrize(
    ("verbosity", "listed"),
    [(1, False), (2, True)],
)
def test_import_esco_counts_unjoined_rows_and_lists_them_only_when_asked(
    monkeypatch, verbosity, listed
):
    from taxonomy.management.commands import import_esco

    monkeypatch.setattr(import_esco, "import_esco", lambda path=None: fake_esco_result())
    out = io.StringIO()
    call_command("import_esco", verbosity=verbosity, stdout=out)
    text = out.getvalue()
    assert "rows not joined (group links): 1" in text
    assert ("Not joined: group link A → B: unknown group" in text) is listed
    assert ("Run with -v 2" in text) is not listed

"""The notification settings are checked at start-up: a sender that cannot work
fails ``manage.py check`` (and so runserver, migrate and the worker) at once."""

import uuid

from skills_app.notify.backends import GOVUK_NOTIFY, RECORDING
from skills_app.notify.checks import check_notify_deployment, check_notify_settings
from skills_app.notify.events import Event, template_setting_name
from tests.test_settings import PRODUCTION_ENV, manage

KEY = f"muster_test-{uuid.uuid4()}-{uuid.uuid4()}"
TEMPLATES = {e.value: str(uuid.uuid4()) for e in Event}


def ids(messages):
    return [m.id for m in messages]


def test_the_recording_backend_needs_no_key(settings):
    settings.NOTIFY_BACKEND, settings.NOTIFY_API_KEY = RECORDING, ""
    assert check_notify_settings(None) == []


def test_notify_without_a_key_is_an_error(settings):
    settings.NOTIFY_BACKEND, settings.NOTIFY_API_KEY = GOVUK_NOTIFY, ""
    settings.NOTIFY_TEMPLATES = TEMPLATES
    assert ids(check_notify_settings(None)) == ["notify.E002"]
    settings.NOTIFY_API_KEY = KEY
    assert check_notify_settings(None) == []


def test_notify_needs_a_template_id_for_every_event(settings):
    settings.NOTIFY_BACKEND, settings.NOTIFY_API_KEY = GOVUK_NOTIFY, KEY
    settings.NOTIFY_TEMPLATES = {**TEMPLATES, "end_reminder": "", "returned": "not-a-uuid"}
    [error] = check_notify_settings(None)
    assert error.id == "notify.E003"
    assert "NOTIFY_TEMPLATE_END_REMINDER, NOTIFY_TEMPLATE_RETURNED" in error.msg


def test_an_unknown_backend_and_a_bad_site_url_are_errors(settings):
    settings.NOTIFY_BACKEND = "skills_app.notify.backends.NoSuchBackend"
    assert ids(check_notify_settings(None)) == ["notify.E001"]
    settings.NOTIFY_BACKEND, settings.SITE_URL = RECORDING, "muster.example.gov.uk"
    assert ids(check_notify_settings(None)) == ["notify.E004"]


def test_a_deployment_that_only_records_is_warned(settings):
    settings.NOTIFY_BACKEND, settings.SITE_URL = RECORDING, "http://muster.example.gov.uk"
    assert ids(check_notify_deployment(None)) == ["notify.W001", "notify.W002"]


def test_the_key_chooses_the_backend_and_a_missing_key_stops_the_start():
    """From the environment, as deployed: a key alone turns GOV.UK Notify on (and the
    templates are then required); Notify chosen without a key stops the start."""
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != template_setting_name(Event.RETURNED)}
    result = manage("check", **env)
    assert result.returncode != 0 and "NOTIFY_TEMPLATE_RETURNED" in result.stderr
    env = {**PRODUCTION_ENV, "NOTIFY_API_KEY": "", "NOTIFY_BACKEND": GOVUK_NOTIFY}
    result = manage("check", **env)
    assert result.returncode != 0 and "NOTIFY_API_KEY is not set" in result.stderr

"""Issue 13 item 5: request paths are logged with staff numbers masked."""

import logging

import pytest

from skills_app.accounts.permissions import Role
from skills_app.accounts.services import api_token_create
from skills_app.logmasking import MASK, MaskPersonalData, mask
from tests.factories import PersonFactory


@pytest.fixture
def bearer(make_user):
    def for_role(role):
        _, raw = api_token_create(user=make_user(role))
        return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}

    return for_role


def request_log(caplog) -> str:
    return "\n".join(r.getMessage() for r in caplog.records if r.name == "django.request")


@pytest.mark.django_db
def test_forbidden_person_path_logs_no_staff_number(client, bearer, caplog):
    PersonFactory(staff_number="P0000001")
    with caplog.at_level(logging.INFO, logger="django.request"):
        response = client.get("/api/v1/people/P0000001", **bearer(Role.STAFF))
    assert response.status_code == 403
    log = request_log(caplog)
    assert f"Forbidden: /api/v1/people/{MASK}" in log
    assert "P0000001" not in log


@pytest.mark.django_db
def test_unknown_person_path_logs_no_staff_number(client, bearer, caplog):
    with caplog.at_level(logging.INFO, logger="django.request"):
        response = client.get("/api/v1/people/ZX998877/skills", **bearer(Role.HR))
    assert response.status_code in (404, 405)
    log = request_log(caplog)
    assert "/api/v1/people/" in log
    assert "ZX998877" not in log


@pytest.mark.django_db
def test_a_staff_number_of_any_shape_is_masked_after_people(client, bearer, caplog):
    """Imported staff numbers need not look like P0000001."""
    with caplog.at_level(logging.INFO, logger="django.request"):
        client.get("/api/v1/people/jane.smith-42", **bearer(Role.HR))
    log = request_log(caplog)
    assert "Not Found: /api/v1/people/[staff number]" in log
    assert "jane.smith" not in log


@pytest.mark.parametrize(
    "line, expected",
    [
        ('"GET /api/v1/people/P0000001 HTTP/1.1" 200', f'"GET /api/v1/people/{MASK} HTTP/1.1" 200'),
        ("Forbidden: /api/v1/people/S000123/skills", f"Forbidden: /api/v1/people/{MASK}/skills"),
        ("Not Found: /people/team/", "Not Found: /people/team/"),
        ("GET /roles/?q=Jane+Smith HTTP/1.1", "GET /roles/?[query] HTTP/1.1"),
        ("import of P0000042 failed", f"import of {MASK} failed"),
        ("Not Found: /roles/data-engineer", "Not Found: /roles/data-engineer"),
    ],
)
def test_mask(line, expected):
    assert mask(line) == expected


def test_console_handler_masks_every_logger():
    """Records from any logger reach the console through the masking filter."""
    handler = logging.getHandlerByName("console")
    assert handler is not None
    assert any(isinstance(f, MaskPersonalData) for f in handler.filters)
    record = logging.LogRecord(
        "skills_app.x", logging.WARNING, __file__, 1, "Looked up %s", ("P0000001",), None
    )
    assert handler.filter(record)
    assert record.getMessage() == f"Looked up {MASK}"


def test_traceback_text_is_masked():
    try:
        raise LookupError("No one has staff number P0000001.")
    except LookupError:
        import sys

        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "boom", None, sys.exc_info())
    MaskPersonalData().filter(record)
    assert "P0000001" not in logging.Formatter().format(record)


@pytest.mark.parametrize("name", ["django.request", "django.server"])
def test_request_path_loggers_mask_for_every_handler(name):
    """Set on the loggers too, so a handler added elsewhere (an error tracker
    attached to django.request) never sees the unmasked path."""
    assert any(isinstance(f, MaskPersonalData) for f in logging.getLogger(name).filters)

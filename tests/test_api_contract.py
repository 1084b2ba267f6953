"""The OpenAPI schema tells the truth (issue 13, "The API's contract"): one name,
one schema; every operation documents the errors every operation can give."""

import importlib
from collections import defaultdict

import pytest
from ninja import Schema

from skills_app.api import api

THROTTLED = {
    ("POST", "/api/v1/match"),
    ("GET", "/api/v1/reports/data-quality"),
    ("GET", "/api/v1/reports/capability"),
    ("GET", "/api/v1/reports/supply-demand"),
    ("GET", "/api/v1/reports/inventory"),
}


def _operations():
    for _, router in api._routers:
        for path_view in router.path_operations.values():
            yield from path_view.operations


def _api_modules():
    names = {op.view_func.__module__ for op in _operations()}
    names |= {"skills_app.api_inputs", "skills_app.api_support"}
    return [importlib.import_module(name) for name in sorted(names)]


def test_every_schema_class_has_a_name_of_its_own():
    """django-ninja names each component after its class and silently keeps one
    of two classes sharing a name, so the other operation is documented wrongly
    (two PersonSkillOut and two ErrorOut did exactly that)."""
    by_name = defaultdict(set)
    for module in _api_modules():
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, Schema) and value is not Schema:
                by_name[value.__name__].add(f"{value.__module__}.{value.__qualname__}")
    shared = {name: sorted(where) for name, where in by_name.items() if len(where) > 1}
    assert not shared


@pytest.fixture(scope="module")
def openapi():
    return api.get_openapi_schema()


def test_every_operation_documents_the_errors_every_operation_can_give(openapi):
    for path, operations in openapi["paths"].items():
        for method, operation in operations.items():
            codes = {int(code) for code in operation["responses"]}
            missing = {400, 401, 403, 422} - codes
            if "requestBody" in operation:
                missing |= {413} - codes
            if (method.upper(), path) in THROTTLED:
                missing |= {429} - codes
            assert not missing, f"{method.upper()} {path} does not document {sorted(missing)}"


def test_errors_are_documented_in_one_shape(openapi):
    error = openapi["components"]["schemas"]["ErrorOut"]
    assert set(error["properties"]) == {"detail", "errors"}
    for path, operations in openapi["paths"].items():
        for method, operation in operations.items():
            for code in (400, 401, 403, 429):
                answer = operation["responses"].get(code) or operation["responses"].get(str(code))
                if answer is None:
                    continue
                schema = answer["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorOut"}, (method, path, code)


@pytest.mark.parametrize(
    "path, media_types",
    [
        ("/api/v1/taxonomy/export", {"application/json", "text/csv"}),
        (
            "/api/v1/reports/inventory",
            {
                "application/json",
                "text/csv",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            },
        ),
    ],
)
def test_downloads_document_their_content_types(openapi, path, media_types):
    answer = openapi["paths"][path]["get"]["responses"][200]
    assert set(answer["content"]) == media_types


@pytest.mark.django_db
def test_import_refusal_for_a_bad_parameter_matches_its_documented_shape(client, make_user):
    """A 422 for a parameter the import cannot read is an ErrorOut, which the
    operation documents beside the file-refusal shape."""
    from skills_app.accounts.permissions import Role
    from skills_app.accounts.services import api_token_create

    _, raw = api_token_create(user=make_user(Role.HR))
    response = client.post(
        "/api/v1/imports/people?dry_run=perhaps", HTTP_AUTHORIZATION=f"Bearer {raw}"
    )
    assert response.status_code == 422
    documented = api.get_openapi_schema()["paths"]["/api/v1/imports/{kind}"]["post"]
    refs = {
        choice["$ref"].rsplit("/", 1)[-1]
        for choice in documented["responses"][422]["content"]["application/json"]["schema"]["anyOf"]
    }
    assert refs == {"ImportResultOut", "ErrorOut"}
    assert set(response.json()) == {"detail", "errors"}

"""The admin's search boxes post their words, so names never travel in a URL
(issue 13 item 5: "the admin search puts names in the URL")."""

import re

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.test import Client

from skills_app.accounts.permissions import Role
from skills_app.accounts.services import user_create_with_roles
from skills_app.admin_site import PostSearchMixin
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db
USERS = "/admin/auth/user/"


@pytest.fixture
def admin_client():
    client = Client(enforce_csrf_checks=True)
    client.force_login(
        user_create_with_roles(username="the-admin", password=PASSWORD, roles={Role.ADMIN})
    )
    return client


def csrf_token(page: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)


def listed_usernames(page: str) -> set[str]:
    return set(re.findall(r'<th class="field-username"><a href="[^"]+">([^<]+)</a>', page))


def test_searching_the_users_posts_the_words_and_keeps_them_out_of_urls(admin_client):
    for username, first, last in (("jsmith", "Jane", "Smith"), ("bjones", "Bo", "Jones")):
        user = user_create_with_roles(username=username, password=PASSWORD, roles={Role.STAFF})
        get_user_model().objects.filter(pk=user.pk).update(first_name=first, last_name=last)
    page = admin_client.get(USERS).content.decode()
    assert '<form id="changelist-search" method="post"' in page
    assert listed_usernames(page) == {"the-admin", "jsmith", "bjones"}
    # Without the token (another site's form) the search is refused.
    assert admin_client.post(USERS, {"q": "Smith", "_search": "Search"}).status_code == 403
    response = admin_client.post(
        USERS, {"q": "Smith", "_search": "Search", "csrfmiddlewaretoken": csrf_token(page)}
    )
    assert response.status_code == 302 and response["Location"] == USERS
    page = admin_client.get(USERS).content.decode()
    assert listed_usernames(page) == {"jsmith"}
    assert 'value="Smith"' in page  # the search in force is shown in the box
    assert "Smith" not in "".join(re.findall(r'href="([^"]*)"', page))
    # A search in a URL is dropped, keeping the other parameters.
    response = admin_client.get(USERS + "?q=Jones&is_staff__exact=0")
    assert response.status_code == 302 and response["Location"] == USERS + "?is_staff__exact=0"


def test_every_admin_with_a_search_box_searches_by_post(admin_client):
    searchable = [ma for ma in admin.site._registry.values() if ma.search_fields]
    assert {type(ma).__name__ for ma in searchable} >= {
        "PostSearchUserAdmin",
        "PostSearchAccessEventAdmin",
        "PostSearchAccessAttemptAdmin",
    }
    for model_admin in searchable:
        assert isinstance(model_admin, PostSearchMixin), type(model_admin)

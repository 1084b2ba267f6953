"""Template tags for pages that page more than one list at once.

``{% load paging %}`` then ``{% page_query "prior_page" 3 %}`` gives the current
query string with only that one parameter changed (Django's ``{% querystring %}``
takes the parameter's name literally, so it cannot serve a list whose page
parameter is itself a variable).
"""

from django import template

from skills_app.core.presenters import count_label

register = template.Library()


@register.simple_tag(takes_context=True)
def page_query(context, param: str, number: int) -> str:
    query = context["request"].GET.copy()
    query[param] = str(number)
    return "?" + query.urlencode()


@register.filter
def thousands(number) -> str:
    """``{{ n|thousands }}``: 12345 -> "12,345" (``presenters.count_label``)."""
    return count_label(number)

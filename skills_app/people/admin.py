"""The admin keeps the organisation's structure, which administrators own.

People, their skills, role history and qualifications are personal data: they are
read and written only through the service's own pages, API and imports, which
check who may do what, audit every read and change and keep the matching index
fresh. The admin shows none of them.
"""

from django.contrib import admin

from skills_app.people.models import OrgUnit


@admin.register(OrgUnit)
class OrgUnitAdmin(admin.ModelAdmin):
    list_display = ["path", "kind"]
    search_fields = ["path"]
    raw_id_fields = ["parent"]

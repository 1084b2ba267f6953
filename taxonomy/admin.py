from django.contrib import admin

from skills_app.admin_site import ReadOnlyAdmin, ReadOnlyInline
from taxonomy.models import (
    ProficiencyLevel,
    Skill,
    SkillAlias,
    SkillGroup,
    SkillLevelDescriptor,
    SkillRelation,
)


class SkillAliasInline(ReadOnlyInline):
    model = SkillAlias


class SkillLevelDescriptorInline(ReadOnlyInline):
    model = SkillLevelDescriptor


# The taxonomy is shown, never edited here: stewards change it on the taxonomy pages
# through ``taxonomy.services`` (merges, deprecations, proposals, audited).
@admin.register(Skill)
class SkillAdmin(ReadOnlyAdmin):
    list_display = ["name", "kind", "source", "status", "group"]
    list_filter = ["source", "kind", "status"]
    search_fields = ["name", "uri", "aliases__label"]
    raw_id_fields = ["group", "merged_into"]
    inlines = [SkillAliasInline, SkillLevelDescriptorInline]


@admin.register(SkillGroup)
class SkillGroupAdmin(ReadOnlyAdmin):
    list_display = ["name", "parent", "source"]
    search_fields = ["name", "uri"]
    raw_id_fields = ["parent"]


@admin.register(SkillRelation)
class SkillRelationAdmin(ReadOnlyAdmin):
    list_display = ["from_skill", "kind", "to_skill", "strength", "source"]
    list_filter = ["kind", "source"]
    raw_id_fields = ["from_skill", "to_skill"]


admin.site.register(ProficiencyLevel, ReadOnlyAdmin)

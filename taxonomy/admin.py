from django.contrib import admin

from taxonomy.models import (
    ProficiencyLevel,
    Skill,
    SkillAlias,
    SkillGroup,
    SkillLevelDescriptor,
    SkillRelation,
)


class SkillAliasInline(admin.TabularInline):
    model = SkillAlias
    extra = 0


class SkillLevelDescriptorInline(admin.TabularInline):
    model = SkillLevelDescriptor
    extra = 0


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "source", "status", "group"]
    list_filter = ["source", "kind", "status"]
    search_fields = ["name", "uri", "aliases__label"]
    raw_id_fields = ["group", "merged_into"]
    inlines = [SkillAliasInline, SkillLevelDescriptorInline]


@admin.register(SkillGroup)
class SkillGroupAdmin(admin.ModelAdmin):
    list_display = ["name", "parent", "source"]
    search_fields = ["name", "uri"]
    raw_id_fields = ["parent"]


@admin.register(SkillRelation)
class SkillRelationAdmin(admin.ModelAdmin):
    list_display = ["from_skill", "kind", "to_skill", "strength", "source"]
    list_filter = ["kind", "source"]
    raw_id_fields = ["from_skill", "to_skill"]


admin.site.register(ProficiencyLevel)

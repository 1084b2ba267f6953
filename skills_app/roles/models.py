from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from taxonomy.models import LEVEL_CHOICES


class RoleSource(models.TextChoices):
    DDAT = "ddat", "DDaT framework"
    ESCO = "esco", "ESCO occupation"
    LOCAL = "local", "Local"


class RoleFamily(models.Model):
    name = models.CharField(max_length=255, unique=True)
    source = models.CharField(max_length=16, choices=RoleSource.choices, default=RoleSource.LOCAL)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "role families"

    def __str__(self):
        return self.name


class RoleProfile(models.Model):
    code = models.SlugField(max_length=120, unique=True)
    title = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    family = models.ForeignKey(
        RoleFamily, null=True, blank=True, on_delete=models.SET_NULL, related_name="roles"
    )
    # The wider role a level belongs to, e.g. "Data scientist" for "Senior data scientist".
    role_name = models.CharField(max_length=255, blank=True)
    # Seniority within role_name, 1 = most junior; DDaT lists levels junior to senior.
    level_rank = models.PositiveSmallIntegerField(null=True, blank=True)
    grade_min = models.CharField(max_length=8, blank=True)
    grade_max = models.CharField(max_length=8, blank=True)
    source = models.CharField(max_length=16, choices=RoleSource.choices, default=RoleSource.LOCAL)
    source_uri = models.CharField(max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Hard filters a search for this role starts with (roles.search.SearchFilters JSON).
    filters = models.JSONField(default=dict, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["title"]
        constraints = [
            # Codes are shown as created but found ignoring case (roles.selectors), so
            # "Data-Engineer" and "data-engineer" must not both exist. The lookups
            # filter on the same Lower(code), so this index also serves them.
            models.UniqueConstraint(
                Lower("code"),
                name="role_code_unique_ignoring_case",
                violation_error_message="A role with this code (in any case) already exists.",
            ),
        ]

    def __str__(self):
        return self.title


class RoleRequirement(models.Model):
    role = models.ForeignKey(RoleProfile, on_delete=models.CASCADE, related_name="requirements")
    skill = models.ForeignKey("taxonomy.Skill", on_delete=models.PROTECT, related_name="+")
    level = models.PositiveSmallIntegerField(choices=LEVEL_CHOICES)
    weight = models.FloatField(default=1.0)
    essential = models.BooleanField(default=False)

    class Meta:
        ordering = ["role", "-essential", "skill__name"]
        constraints = [
            models.UniqueConstraint(fields=["role", "skill"], name="requirement_unique"),
            models.CheckConstraint(
                condition=Q(level__gte=1, level__lte=4), name="requirement_level_1_4"
            ),
            models.CheckConstraint(condition=Q(weight__gt=0), name="requirement_weight_positive"),
        ]

    def __str__(self):
        return f"{self.skill} at level {self.level}"

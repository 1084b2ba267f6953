"""The shared skills taxonomy (DESIGN.md section 3).

Identifiers are stable: a skill keeps its primary key and its ``uri`` for life;
merging marks the old skill ``merged`` and points it at the survivor instead of
deleting it, so exports and audit rows that name it still resolve.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from matching.rules import DEFAULT_RELATION_STRENGTH, LEVELS

LEVEL_CHOICES = list(LEVELS.items())
LEVEL_NAMES = dict(LEVELS)


class SkillKind(models.TextChoices):
    SKILL = "skill", "Skill"
    KNOWLEDGE = "knowledge", "Knowledge"
    BEHAVIOUR = "behaviour", "Behaviour"
    LANGUAGE = "language", "Language"
    QUALIFICATION = "qualification", "Qualification"


class SkillStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    DEPRECATED = "deprecated", "Deprecated"
    MERGED = "merged", "Merged"


class Source(models.TextChoices):
    DDAT = "ddat", "UK DDaT Capability Framework"
    ESCO = "esco", "ESCO"
    ONET = "onet", "O*NET"
    LOCAL = "local", "Local"


class SkillGroup(models.Model):
    name = models.CharField(max_length=255)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.LOCAL)
    uri = models.CharField(max_length=255, unique=True)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(parent=models.F("id")), name="skillgroup_not_own_parent"
            )
        ]

    def __str__(self):
        return self.name


class Skill(models.Model):
    name = models.CharField(max_length=255, db_index=True)
    description = models.TextField(blank=True)
    kind = models.CharField(max_length=16, choices=SkillKind.choices, default=SkillKind.SKILL)
    group = models.ForeignKey(
        SkillGroup, null=True, blank=True, on_delete=models.SET_NULL, related_name="skills"
    )
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.LOCAL)
    uri = models.CharField(max_length=255, unique=True, help_text="Stable external identifier")
    status = models.CharField(
        max_length=16, choices=SkillStatus.choices, default=SkillStatus.ACTIVE, db_index=True
    )
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_from"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(status="merged") & Q(merged_into__isnull=False))
                | (~Q(status="merged") & Q(merged_into__isnull=True)),
                name="skill_merged_iff_target",
            ),
            models.CheckConstraint(
                condition=~Q(merged_into=models.F("id")), name="skill_not_merged_into_self"
            ),
        ]

    def __str__(self):
        return self.name


class SkillAlias(models.Model):
    skill = models.ForeignKey(Skill, on_delete=models.CASCADE, related_name="aliases")
    label = models.CharField(max_length=255)
    source = models.CharField(max_length=32, default=Source.LOCAL)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["skill", "label"], name="alias_unique_per_skill")
        ]

    def __str__(self):
        return self.label


class RelationKind(models.TextChoices):
    RELATED = "related", "Related"
    NARROWER = "narrower", "Narrower"


# Rule 2's default strengths live with the rules; RelationKind's values are their keys.
assert set(DEFAULT_RELATION_STRENGTH) == set(RelationKind.values)


class SkillRelation(models.Model):
    """``to_skill`` can stand in for ``from_skill`` at reduced strength.

    kind ``narrower``: ``to_skill`` is a narrower (more specific) skill of
    ``from_skill``. ``strength`` overrides the kind's default (0.8 narrower,
    0.5 related) when set.
    """

    from_skill = models.ForeignKey(Skill, on_delete=models.CASCADE, related_name="relations_out")
    to_skill = models.ForeignKey(Skill, on_delete=models.CASCADE, related_name="relations_in")
    kind = models.CharField(max_length=16, choices=RelationKind.choices)
    strength = models.FloatField(null=True, blank=True)
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.LOCAL)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["from_skill", "to_skill", "kind"], name="relation_unique"
            ),
            models.CheckConstraint(
                condition=~Q(from_skill=models.F("to_skill")), name="relation_not_reflexive"
            ),
            models.CheckConstraint(
                condition=Q(strength__isnull=True) | Q(strength__gte=0, strength__lte=1),
                name="relation_strength_0_1",
            ),
        ]

    def __str__(self):
        return f"{self.from_skill} ← {self.to_skill} ({self.kind})"

    @property
    def effective_strength(self) -> float:
        return self.strength if self.strength is not None else DEFAULT_RELATION_STRENGTH[self.kind]


class ProficiencyLevel(models.Model):
    level = models.PositiveSmallIntegerField(primary_key=True, choices=LEVEL_CHOICES)
    name = models.CharField(max_length=32, unique=True)
    description = models.TextField()

    class Meta:
        ordering = ["level"]
        constraints = [
            models.CheckConstraint(
                condition=Q(level__gte=1, level__lte=4), name="proficiency_level_1_4"
            )
        ]

    def __str__(self):
        return f"{self.level} {self.name}"


class SkillLevelDescriptor(models.Model):
    skill = models.ForeignKey(Skill, on_delete=models.CASCADE, related_name="level_descriptors")
    level = models.PositiveSmallIntegerField(choices=LEVEL_CHOICES)
    description = models.TextField()

    class Meta:
        ordering = ["skill", "level"]
        constraints = [
            models.UniqueConstraint(fields=["skill", "level"], name="descriptor_unique"),
            models.CheckConstraint(
                condition=Q(level__gte=1, level__lte=4), name="descriptor_level_1_4"
            ),
        ]

    def __str__(self):
        return f"{self.skill} level {self.level}"


class Occupation(models.Model):
    """A reference occupation (ESCO) with its skills: a template a planner can
    start a role profile from, not itself a role profile."""

    uri = models.CharField(max_length=255, unique=True)
    name = models.CharField(max_length=255, db_index=True)
    alt_labels = models.TextField(blank=True, help_text="One alternative title per line")
    description = models.TextField(blank=True)
    isco_code = models.CharField(max_length=16, blank=True)
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.ESCO)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class OccupationSkill(models.Model):
    occupation = models.ForeignKey(Occupation, on_delete=models.CASCADE, related_name="skills")
    skill = models.ForeignKey(Skill, on_delete=models.CASCADE, related_name="occupations")
    essential = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["occupation", "skill"], name="occupationskill_unique")
        ]

    def __str__(self):
        return f"{self.occupation}: {self.skill}"


class ProposalStatus(models.TextChoices):
    PENDING = "pending", "Waiting for a decision"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    MERGED = "merged", "Added as another name for an existing skill"


class SkillProposal(models.Model):
    """A skill someone found missing. Stewards approve it (a new local skill),
    reject it, or record it as another name for an existing skill."""

    name = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    kind = models.CharField(max_length=16, choices=SkillKind.choices, default=SkillKind.SKILL)
    group = models.ForeignKey(SkillGroup, null=True, blank=True, on_delete=models.SET_NULL)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(
        max_length=16,
        choices=ProposalStatus.choices,
        default=ProposalStatus.PENDING,
        db_index=True,
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=500, blank=True)
    skill = models.ForeignKey(
        Skill,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="proposals",
        help_text="The skill created, or the existing skill it was recorded against",
    )

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return self.name


class TaxonomyState(models.Model):
    """One row whose counter rises with every taxonomy change, so each process
    can tell cheaply whether its in-memory label index is stale."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    version = models.PositiveBigIntegerField(default=0)
    # Random per change: unlike the counter it never repeats after a rollback,
    # so a cache keyed on it cannot mistake one taxonomy for another.
    token = models.CharField(max_length=32, default="")

    def __str__(self):
        return f"taxonomy version {self.version}"


class QualificationSkill(models.Model):
    """Stewards' table of what a qualification shows (DESIGN 9): a person holding a
    qualification named ``qualification`` is drafted ``skill`` at ``level``.
    ``key`` is the name normalised (``matching.normaliser.normalise``), so
    "PRINCE2 Practitioner" and "Prince2 practitioner" are one qualification."""

    qualification = models.CharField(max_length=255)
    key = models.CharField(max_length=255, db_index=True, editable=False)
    skill = models.ForeignKey(Skill, on_delete=models.CASCADE, related_name="qualifications")
    level = models.PositiveSmallIntegerField(choices=LEVEL_CHOICES)
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["qualification", "skill__name"]
        constraints = [
            models.UniqueConstraint(fields=["key", "skill"], name="qualificationskill_unique"),
            models.CheckConstraint(
                condition=Q(level__gte=1, level__lte=4), name="qualificationskill_level_1_4"
            ),
        ]

    def __str__(self):
        return f"{self.qualification}: {self.skill} at level {self.level}"

    def save(self, *args, **kwargs):
        from matching.normaliser import normalise

        self.key = normalise(self.qualification)
        super().save(*args, **kwargs)

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from taxonomy.models import LEVEL_CHOICES


class Grade(models.TextChoices):
    """Civil service grades, junior to senior; the order is meaningful."""

    AA = "AA", "Administrative Assistant"
    AO = "AO", "Administrative Officer"
    EO = "EO", "Executive Officer"
    HEO = "HEO", "Higher Executive Officer"
    SEO = "SEO", "Senior Executive Officer"
    G7 = "G7", "Grade 7"
    G6 = "G6", "Grade 6"
    SCS1 = "SCS1", "Senior Civil Service 1"
    SCS2 = "SCS2", "Senior Civil Service 2"
    SCS3 = "SCS3", "Senior Civil Service 3"


GRADE_ORDER = {grade.value: rank for rank, grade in enumerate(Grade)}


class Clearance(models.IntegerChoices):
    """National security vetting, ordered so ``>=`` means "at least"."""

    NONE = 0, "None"
    BPSS = 1, "BPSS"
    CTC = 2, "CTC"
    SC = 3, "SC"
    DV = 4, "DV"


class OrgUnitKind(models.TextChoices):
    DEPARTMENT = "department", "Department"
    DIRECTORATE = "directorate", "Directorate"
    DIVISION = "division", "Division"
    TEAM = "team", "Team"


class OrgUnit(models.Model):
    name = models.CharField(max_length=255)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    kind = models.CharField(max_length=16, choices=OrgUnitKind.choices, default=OrgUnitKind.TEAM)
    # Materialised path "Dept/Directorate/Team": the import format's natural key,
    # and a cheap subtree filter (path = P or path LIKE 'P/%').
    path = models.CharField(max_length=1000, unique=True)
    depth = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="orgunit_unique_child"),
            models.CheckConstraint(
                condition=~Q(parent=models.F("id")), name="orgunit_not_own_parent"
            ),
        ]

    def __str__(self):
        return self.path


class EvidenceKind(models.TextChoices):
    SELF = "self", "Self-assessed"
    MANAGER_VERIFIED = "manager_verified", "Verified by manager"
    ASSESSED = "assessed", "Assessed"
    CERTIFIED = "certified", "Certified"
    # A draft: proposed by Muster from what the department already holds (DESIGN 9),
    # waiting for the person to confirm it. Drafts count nowhere until confirmed,
    # unless a search opts in.
    INFERRED = "inferred", "Draft (not yet confirmed)"


class DraftSource(models.TextChoices):
    """What a draft skill was proposed from (DESIGN 9). A confirmed skill keeps it."""

    ROLE_LEVEL = "role_level", "A role held, from the role library"
    JOB_TITLE = "job_title", "A job title matched to the role library"
    OCCUPATION = "occupation", "A job title matched to an ESCO occupation"
    QUALIFICATION = "qualification", "A qualification"
    TEXT = "text", "A passage of text"
    MOVE = "move", "A surge move the person returned from"


class PersonSkillQuerySet(models.QuerySet):
    def confirmed(self):
        """Skills that count: everything but drafts."""
        return self.exclude(evidence=EvidenceKind.INFERRED)

    def drafts(self):
        return self.filter(evidence=EvidenceKind.INFERRED)


class Person(models.Model):
    # The id in every URL that names a person: random (UUID4), so it tells nothing
    # about the person, their staff number or when they joined, and cannot be guessed
    # from another person's. Bulk loaders give every row its own (core/staging.py,
    # people/bulk.py); the sequential primary key never leaves the server.
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    staff_number = models.CharField(max_length=32, unique=True)
    full_name = models.CharField(max_length=255)
    work_email = models.EmailField(unique=True)
    grade = models.CharField(max_length=8, choices=Grade.choices)
    org_unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="people")
    line_manager = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reports"
    )
    location = models.CharField(max_length=120, blank=True, db_index=True)
    weekly_hours = models.DecimalField(max_digits=4, decimal_places=1, default=37)
    clearance = models.PositiveSmallIntegerField(choices=Clearance.choices, default=Clearance.BPSS)
    redeployable = models.BooleanField(default=True, help_text="Willing to be redeployed")
    protected = models.BooleanField(
        default=False, help_text="In a critical role that must never be released"
    )
    # Why the person is protected (or, after removal, why the protection was removed).
    protected_reason = models.CharField(max_length=500, blank=True)
    available_from = models.DateField(null=True, blank=True)
    # Places the person would work in if redeployed (besides their own location).
    preferred_locations = models.JSONField(default=list, blank=True)
    profile_reviewed_at = models.DateTimeField(null=True, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="person",
    )
    # The day the person left the department; retention anonymises leavers
    # (``manage.py apply_retention``) once the configured period has passed.
    left_on = models.DateField(null=True, blank=True, db_index=True)
    anonymised_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["staff_number"]
        verbose_name_plural = "people"
        constraints = [
            models.CheckConstraint(
                condition=~Q(line_manager=models.F("id")), name="person_not_own_manager"
            ),
            models.CheckConstraint(
                condition=Q(weekly_hours__gt=0, weekly_hours__lte=60),
                name="person_weekly_hours_range",
            ),
            models.CheckConstraint(
                condition=Q(clearance__gte=0, clearance__lte=4), name="person_clearance_range"
            ),
        ]

    def __str__(self):
        return f"{self.full_name} ({self.staff_number})"

    def clean(self):
        from skills_app.people.services import management_cycle

        if self.line_manager_id and management_cycle(
            person_id=self.pk, manager_id=self.line_manager_id
        ):
            raise ValidationError({"line_manager": "This would create a management loop."})


class PersonSkill(models.Model):
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="skills")
    skill = models.ForeignKey("taxonomy.Skill", on_delete=models.PROTECT, related_name="holders")
    level = models.PositiveSmallIntegerField(choices=LEVEL_CHOICES)
    last_used = models.DateField(null=True, blank=True, help_text="Blank means in current use")
    evidence = models.CharField(
        max_length=24, choices=EvidenceKind.choices, default=EvidenceKind.SELF
    )
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    # Why the manager verified it ("Led the data migration in 2025"), shown with the evidence.
    verification_note = models.CharField(max_length=500, blank=True)
    # A line manager's open question about the claim; cleared when answered or verified.
    queried_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    queried_at = models.DateTimeField(null=True, blank=True)
    query_note = models.CharField(max_length=500, blank=True)
    note = models.CharField(max_length=500, blank=True)
    # Where a draft came from (DraftSource; blank for a skill the person or HR entered)
    # and every source that proposed it: [{kind, label, level, start, end, passage, ...}],
    # the one giving the level first. Kept when the draft is confirmed.
    source = models.CharField(max_length=24, choices=DraftSource.choices, blank=True)
    sources = models.JSONField(default=list, blank=True)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PersonSkillQuerySet.as_manager()

    class Meta:
        ordering = ["person", "skill__name"]
        constraints = [
            models.UniqueConstraint(fields=["person", "skill"], name="personskill_unique"),
            models.CheckConstraint(
                condition=Q(level__gte=1, level__lte=4), name="personskill_level_1_4"
            ),
        ]
        indexes = [models.Index(fields=["skill", "level"], name="personskill_skill_level")]

    def __str__(self):
        return f"{self.person_id}: {self.skill} at level {self.level}"


class DraftRejection(models.Model):
    """A draft the person rejected: never proposed to them again."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="draft_rejections")
    skill = models.ForeignKey("taxonomy.Skill", on_delete=models.CASCADE, related_name="+")
    rejected_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person", "skill"], name="draftrejection_unique")
        ]

    def __str__(self):
        return f"{self.person_id}: not {self.skill_id}"


class DraftRunStatus(models.TextChoices):
    QUEUED = "queued", "Waiting to start"
    RUNNING = "running", "In progress"
    SUCCEEDED = "succeeded", "Finished"
    FAILED = "failed", "Failed"


class DraftRun(models.Model):
    """One "draft everyone" job (DESIGN 9), run by the task worker with progress."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=16, choices=DraftRunStatus.choices, default=DraftRunStatus.QUEUED
    )
    total_people = models.PositiveIntegerField(default=0)
    processed_people = models.PositiveIntegerField(default=0)
    # {people_drafted, drafts_created, drafts_updated, skipped_rejected, by_source: {...}}
    result = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Draft run {self.id}"


class RoleHistory(models.Model):
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="role_history")
    title = models.CharField(max_length=255)
    role_profile = models.ForeignKey(
        "roles.RoleProfile", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    start = models.DateField()
    end = models.DateField(null=True, blank=True, help_text="Blank means current")
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["person", "-start"]
        verbose_name_plural = "role history"
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=models.F("start")),
                name="rolehistory_end_after_start",
            ),
            models.UniqueConstraint(
                fields=["person", "title", "start"], name="rolehistory_natural_key"
            ),
        ]

    def __str__(self):
        return f"{self.title} from {self.start}"


class Qualification(models.Model):
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="qualifications")
    name = models.CharField(max_length=255)
    issuer = models.CharField(max_length=255, blank=True)
    awarded = models.DateField(null=True, blank=True)
    expires = models.DateField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["person", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "name", "issuer"], name="qualification_natural_key"
            ),
            models.CheckConstraint(
                condition=Q(expires__isnull=True)
                | Q(awarded__isnull=True)
                | Q(expires__gte=models.F("awarded")),
                name="qualification_expires_after_award",
            ),
        ]

    def __str__(self):
        return self.name


class ImportKind(models.TextChoices):
    PEOPLE = "people", "People"
    PERSON_SKILLS = "person-skills", "Person skills"
    ROLE_HISTORY = "role-history", "Role history"
    ROLE_PROFILES = "role-profiles", "Role profiles"


class ImportStatus(models.TextChoices):
    QUEUED = "queued", "Waiting to start"
    RUNNING = "running", "In progress"
    SUCCEEDED = "succeeded", "Imported"
    REJECTED = "rejected", "Not imported: the file has errors"
    FAILED = "failed", "Failed"


class ImportJob(models.Model):
    """One uploaded HR file and what became of it. The file itself is kept in
    the database so any worker process can read it; the id is a UUID so URLs
    reveal nothing."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=24, choices=ImportKind.choices)
    filename = models.CharField(max_length=255)
    content = models.BinaryField()
    dry_run = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=16, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    phase = models.CharField(max_length=32, blank=True)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    # Touched by the worker as it progresses; a running job whose heartbeat stops
    # is reaped as failed (its worker died).
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    # {ok, rows, created, updated, errors: [{row, column, message, suggestions}]}
    result = models.JSONField(default=dict, blank=True)
    # A dry run from the import page keeps its file (until ``kept_until``, an hour after
    # the check) so that its uploader can import it without choosing it again; the
    # SHA-256 of the bytes checked makes sure the import is of those very bytes.
    content_sha256 = models.CharField(max_length=64, blank=True)
    kept_until = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.get_kind_display()} import {self.filename}"


class ChangeScope(models.TextChoices):
    PERSON = "person", "A person's attributes or skills"
    HISTORY = "history", "A person's role history"
    ROLES = "roles", "Role profiles"
    TAXONOMY = "taxonomy", "Skills and their relations"
    ALLOCATIONS = "allocations", "Surge allocations"
    ALL = "all", "Everything (bulk change)"


class WorkforceChange(models.Model):
    """The change sequence every process's matching index follows: a write that
    affects search results appends a row in the same transaction, and each
    search first applies the rows it has not seen (see skills_app.index.adapter)."""

    id = models.BigAutoField(primary_key=True)
    scope = models.CharField(max_length=16, choices=ChangeScope.choices)
    # No foreign key: a row must outlive the person it names (a deletion is a change too).
    person_id = models.BigIntegerField(null=True, blank=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self):
        return f"{self.id} {self.scope} {self.person_id or ''}"

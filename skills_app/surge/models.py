from django.conf import settings
from django.db import models
from django.db.models import Q


class ScenarioStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SOLVED = "solved", "Solved"
    APPROVED = "approved", "Approved"
    CLOSED = "closed", "Closed"


class SurgeScenario(models.Model):
    name = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    status = models.CharField(
        max_length=16, choices=ScenarioStatus.choices, default=ScenarioStatus.DRAFT, db_index=True
    )
    release_cap = models.DecimalField(
        max_digits=4, decimal_places=3, default=0.2, help_text="Fraction of a unit's staff"
    )
    # Depth in the org tree at which the cap applies (1 = directorate, 2 = division, ...).
    cap_org_depth = models.PositiveSmallIntegerField(default=2)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    solved_at = models.DateTimeField(null=True, blank=True)
    # Background solve: its state and progress for the page that polls it.
    solve_state = models.CharField(max_length=16, blank=True)  # queued / running / failed / done
    solve_progress = models.PositiveSmallIntegerField(default=0)
    solve_message = models.CharField(max_length=500, blank=True)
    # Figures of the last solve (per line, per unit, greedy baseline, training plan;
    # and for a scenario with forecasts, "weekly": posts needed and filled per week).
    result = models.JSONField(default=dict, blank=True)
    # Forecast lines (DESIGN 11) count weeks from this date (week 1 starts on it).
    weeks_from = models.DateField(null=True, blank=True)
    # Training lead time: working days per level of gap per skill (rule 11's gaps).
    training_days_per_level = models.DecimalField(max_digits=4, decimal_places=1, default=2)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(release_cap__gte=0, release_cap__lte=1), name="scenario_cap_0_1"
            )
        ]

    def __str__(self):
        return self.name


class DemandLine(models.Model):
    scenario = models.ForeignKey(SurgeScenario, on_delete=models.CASCADE, related_name="lines")
    role_profile = models.ForeignKey(
        "roles.RoleProfile", on_delete=models.PROTECT, related_name="+"
    )
    headcount = models.PositiveIntegerField()
    location = models.CharField(max_length=120, blank=True)
    start_date = models.DateField(null=True, blank=True)
    min_score = models.DecimalField(max_digits=4, decimal_places=3, default=0.8)
    filters = models.JSONField(default=dict, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    # How long a person moved onto this line stays (a loan; DESIGN 10).
    loan_weeks = models.PositiveSmallIntegerField(default=12)
    # The forecast (DESIGN 11), as ``skills_app.surge.forecasts.demand_json`` writes it;
    # null for a line typed as a headcount. With one, ``headcount`` is its peak week.
    demand = models.JSONField(null=True, blank=True)
    # Moves on whenever the line itself changes (the editor changing its fields, its
    # forecast page saving): the forecast page checks it, so edits elsewhere in the
    # scenario do not make a forecast opened before them out of date.
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["scenario", "position", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(headcount__gt=0), name="demand_headcount_positive"),
            models.CheckConstraint(
                condition=Q(min_score__gte=0, min_score__lte=1), name="demand_min_score_0_1"
            ),
        ]

    def __str__(self):
        return f"{self.headcount} × {self.role_profile}"


class AllocationStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    APPROVED = "approved", "Approved"
    DECLINED = "declined", "Declined"
    RELEASED = "released", "Released"


class QualifiesBy(models.TextChoices):
    """DESIGN 4 rule 7: how an allocated person qualified for their line."""

    SCORE = "score", "Match score"
    PRIOR_ROLE = "prior_role", "Recent role"


class Allocation(models.Model):
    scenario = models.ForeignKey(
        SurgeScenario, on_delete=models.CASCADE, related_name="allocations"
    )
    line = models.ForeignKey(DemandLine, on_delete=models.CASCADE, related_name="allocations")
    person = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, related_name="allocations"
    )
    score = models.FloatField()
    qualifies_by = models.CharField(
        max_length=16, choices=QualifiesBy.choices, default=QualifiesBy.SCORE
    )
    status = models.CharField(
        max_length=16, choices=AllocationStatus.choices, default=AllocationStatus.PROPOSED
    )
    # A week-by-week allocation (DESIGN 11) staggers starts: the person's first day on
    # the line. Null: the line's start date (or the day of approval).
    start_date = models.DateField(null=True, blank=True)
    # The training the person needs before starting: [[skill id, level needed, levels short]].
    training = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            # A person fills at most one post per scenario.
            models.UniqueConstraint(fields=["scenario", "person"], name="allocation_one_post"),
            models.CheckConstraint(
                condition=Q(score__gte=0, score__lte=1), name="allocation_score_0_1"
            ),
        ]

    def __str__(self):
        return f"{self.person} → {self.line}"

"""Moves (DESIGN 10): what an approved allocation becomes, and how it runs.

proposed → released by the line manager (or refused, with a reason, which frees
the post) → acknowledged by the person → started → ended (the person returns),
or extended (a new end date) and then ended. A move can be cancelled before it
starts. The allowed steps are ``TRANSITIONS``: the services refuse anything else.
"""

import datetime as dt
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

DEFAULT_LOAN_WEEKS = 12
MAX_LOAN_WEEKS = 104  # a loan (surge move or loan out) lasts at most two years


class MoveStatus(models.TextChoices):
    PROPOSED = "proposed", "Waiting for the line manager"
    RELEASED = "released", "Released"
    REFUSED = "refused", "Refused"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    STARTED = "started", "Started"
    EXTENDED = "extended", "Extended"
    ENDED = "ended", "Ended: returned"
    CANCELLED = "cancelled", "Cancelled"


# Steps a move may take, from each status.
TRANSITIONS: dict[str, frozenset[str]] = {
    MoveStatus.PROPOSED: frozenset({MoveStatus.RELEASED, MoveStatus.REFUSED, MoveStatus.CANCELLED}),
    MoveStatus.RELEASED: frozenset({MoveStatus.ACKNOWLEDGED, MoveStatus.CANCELLED}),
    MoveStatus.ACKNOWLEDGED: frozenset({MoveStatus.STARTED, MoveStatus.CANCELLED}),
    MoveStatus.STARTED: frozenset({MoveStatus.ENDED, MoveStatus.EXTENDED}),
    MoveStatus.EXTENDED: frozenset({MoveStatus.ENDED, MoveStatus.EXTENDED}),
    MoveStatus.REFUSED: frozenset(),
    MoveStatus.ENDED: frozenset(),
    MoveStatus.CANCELLED: frozenset(),
}
# A person on a move in one of these is taken: no other scenario may use them.
ACTIVE = frozenset(
    {
        MoveStatus.PROPOSED,
        MoveStatus.RELEASED,
        MoveStatus.ACKNOWLEDGED,
        MoveStatus.STARTED,
        MoveStatus.EXTENDED,
    }
)
# Waiting on the line manager / on the person.
AWAITING_MANAGER = frozenset({MoveStatus.PROPOSED})
AWAITING_PERSON = frozenset({MoveStatus.RELEASED})


class Move(models.Model):
    """One person's move onto a surge line (or a loan to another organisation)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="moves")
    scenario = models.ForeignKey(
        "surge.SurgeScenario",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="moves",
    )
    line = models.ForeignKey(
        "surge.DemandLine", null=True, blank=True, on_delete=models.PROTECT, related_name="moves"
    )
    allocation = models.OneToOneField(
        "surge.Allocation", null=True, blank=True, on_delete=models.SET_NULL, related_name="move"
    )
    status = models.CharField(
        max_length=16, choices=MoveStatus.choices, default=MoveStatus.PROPOSED, db_index=True
    )
    start_date = models.DateField()
    end_date = models.DateField()
    # A ready-reserve member's manager agreed in advance: no release step, only a notice.
    reserve = models.BooleanField(default=False)
    # A loan outside the department: the host organisation (blank: within the department).
    host_organisation = models.CharField(max_length=255, blank=True)
    cost_note = models.CharField(max_length=500, blank=True)
    # The person agreed that their match-relevant profile may go to the host.
    package_consent_at = models.DateTimeField(null=True, blank=True)
    refused_reason = models.CharField(max_length=500, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    released_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["start_date", "created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gt=models.F("start_date")), name="move_ends_after_start"
            ),
            # A person is on at most one live move at a time.
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(status__in=sorted(ACTIVE)),
                name="move_one_live_per_person",
            ),
        ]
        indexes = [models.Index(fields=["scenario", "status"], name="move_scenario_status")]

    def __str__(self):
        return f"Move {self.id} ({self.status})"

    @property
    def is_loan_out(self) -> bool:
        return bool(self.host_organisation)

    @property
    def weeks(self) -> int:
        return max(1, round((self.end_date - self.start_date).days / 7))


def default_end(start: dt.date, weeks: int = DEFAULT_LOAN_WEEKS) -> dt.date:
    return start + dt.timedelta(weeks=weeks)


class MoveStep(models.Model):
    """A move's history: every step, who took it and when (the scenario keeps the
    record after the person returns)."""

    move = models.ForeignKey(Move, on_delete=models.CASCADE, related_name="steps")
    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_status = models.CharField(max_length=16, choices=MoveStatus.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=MoveStatus.choices)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.from_status or 'new'} → {self.to_status}"


class ReserveNotice(models.TextChoices):
    DAY = "24h", "24 hours"
    WEEK = "1w", "1 week"
    MONTH = "1m", "1 month"


class ReserveMembership(models.Model):
    """A ready-reserve member (DESIGN 10): on call for surges at a stated notice,
    for stated months, with their line manager's agreement recorded in advance.
    Until the manager agrees it is only a request; a member's move needs no
    release, only a notice to the manager."""

    person = models.OneToOneField("people.Person", on_delete=models.CASCADE, related_name="reserve")
    notice = models.CharField(max_length=4, choices=ReserveNotice.choices)
    available_from = models.DateField()
    available_until = models.DateField()
    requested_at = models.DateTimeField(auto_now_add=True)
    agreed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    agreed_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(available_until__gte=models.F("available_from")),
                name="reserve_until_after_from",
            )
        ]

    def __str__(self):
        return f"Reserve {self.person_id} ({self.notice})"

    def on_call(self, day: dt.date) -> bool:
        return (
            self.agreed_at is not None
            and self.withdrawn_at is None
            and self.available_from <= day <= self.available_until
        )

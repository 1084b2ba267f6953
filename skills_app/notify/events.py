"""The events Muster notifies about: the one list (DESIGN 10, issue 16 item 3).

Plain Python, free of Django models, because settings.py reads it to build
``NOTIFY_TEMPLATES`` (one GOV.UK Notify template id per event) before any app loads.
Adding an event here adds its template setting, its model choice and its check.
"""

from enum import StrEnum


class Event(StrEnum):
    RELEASE_REQUESTED = "release_requested"
    RELEASE_REFUSED = "release_refused"
    MOVE_TO_ACKNOWLEDGE = "move_to_acknowledge"
    START_REMINDER = "start_reminder"
    END_REMINDER = "end_reminder"
    RETURNED = "returned"
    RESERVE_CALLED = "reserve_called"


LABELS = {
    Event.RELEASE_REQUESTED: "Release requested (to the line manager)",
    Event.RELEASE_REFUSED: "Release refused",
    Event.MOVE_TO_ACKNOWLEDGE: "Move to acknowledge (to the person)",
    Event.START_REMINDER: "Start reminder",
    Event.END_REMINDER: "End reminder",
    Event.RETURNED: "Returned",
    Event.RESERVE_CALLED: "Ready reserve member called (to the line manager)",
}

CHOICES = [(event.value, LABELS[event]) for event in Event]

# Every template receives exactly these personalisation fields and nothing else.
PERSONALISATION_FIELDS = ("name", "link")


def template_setting_name(event: Event) -> str:
    """The environment variable that overrides one event's template id."""
    return f"NOTIFY_TEMPLATE_{event.value.upper()}"

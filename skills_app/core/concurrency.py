"""Optimistic concurrency for every versioned edit: no lost updates.

Each editable row has a ``version``. A form or API call carries the version it
was read at; the service locks the row (``SELECT ... FOR UPDATE``, held until its
transaction ends), compares, and either writes with the version moved on or
raises :class:`ConflictError` carrying the row as it now stands, writing nothing.
The comparison lives here only, so every page and API answers a stale version
the same way. The page side (re-render with the conflict panel, 409) is
``skills_app.core.conflicts``.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Model, QuerySet


class ConflictError(Exception):
    """Someone else saved this record since it was read: nothing was written.

    ``current`` is the row as it now stands (read under the lock, so it is what
    is saved), or None when it has gone.
    """

    def __init__(self, current):
        super().__init__("This record was changed by someone else")
        self.current = current


def require_version(row, expected_version: int):
    """``row`` (already locked by the caller) if it is still at the version the
    editor read; ConflictError otherwise, with the row, or None when it is gone.

    Services that must refuse some edits whatever the version (a framework role,
    an approved scenario) lock the row, refuse, then call this, so the refusal
    and not a conflict is what the editor sees. Everyone else uses
    :func:`locked_for_edit`.
    """
    if row is None:
        raise ConflictError(current=None)
    if row.version != expected_version:
        raise ConflictError(current=row)
    return row


def locked_for_edit(queryset: QuerySet, pk: int, expected_version: int):
    """The row ``pk`` of ``queryset``, locked ``FOR UPDATE`` until the end of the
    caller's transaction, at ``expected_version``; ConflictError otherwise.

    Narrow ``queryset`` to what the caller may edit (``PersonSkill.objects
    .filter(person=person)``): a row outside it counts as gone, which is what
    the editor should hear about a row removed since they read it.
    """
    return require_version(queryset.select_for_update().filter(pk=pk).first(), expected_version)


def save_new_version(row: Model, update_fields: Iterable[str] | None = None) -> None:
    """Save ``row`` as its next version. ``update_fields`` None saves every
    field; otherwise those fields plus ``version`` (and ``updated_at`` where the
    model keeps one, since ``auto_now`` only fires for fields being saved)."""
    row.version += 1
    if update_fields is None:
        row.save()
        return
    fields = [*update_fields, "version"]
    if any(f.name == "updated_at" for f in row._meta.concrete_fields):
        fields.append("updated_at")
    row.save(update_fields=fields)

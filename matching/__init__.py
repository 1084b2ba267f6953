"""Muster's matching engine: pure Python over plain arrays.

Nothing in this package may import Django, ``skills_app`` or ``taxonomy``; the
adapter in ``skills_app.index.adapter`` turns ORM data into the plain inputs
used here. ``tests/matching/test_import_boundary.py`` enforces that.
"""

"""The matching index: the workforce as plain arrays for ``matching/`` (``adapter``),
kept fresh by the change feed every write declares (``changes``)."""

"""The demo workforce generator behind ``manage.py seed_demo`` and ``make demo``."""

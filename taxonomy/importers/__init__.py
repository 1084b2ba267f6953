"""Importers that load published skills frameworks into the taxonomy.

Each importer keeps its parsing and database logic here so that management
commands, the web UI and tests share one implementation.
"""

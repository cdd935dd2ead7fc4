# Two commands for a fresh machine: `make run` and `make test`. See README.md.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip

.PHONY: run test lint format bench bench-ocpp bench-smart-charging bench-pages bench-simulation bench-routing bench-v2g install install-dev serve clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(VENV)/bin/python
	$(PIP) install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(VENV)/bin/python
	$(PIP) install --quiet -r requirements-dev.txt
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## run: install, migrate, load the demo fleet, start server + worker + beat in the foreground
run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(PY) manage.py seed_demo
	$(PY) manage.py serve

## test: install and run the whole test suite
test: install-dev
	$(PY) -m pytest

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run

format: install-dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

## bench: build 10,000 vehicles, 5,000,000 telemetry points and 1,000,000 charging sessions; measure the API and analytics (PostgreSQL)
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/evfleet_bench
bench: install
	$(PY) -c "import psycopg; c = psycopg.connect('postgresql://postgres@127.0.0.1:5432/postgres', autocommit=True); c.execute('CREATE DATABASE evfleet_bench') if not c.execute(\"SELECT 1 FROM pg_database WHERE datname='evfleet_bench'\").fetchone() else None"
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) manage.py migrate --noinput --verbosity 0
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) manage.py bench_fleet
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) manage.py bench_analytics

## bench-ocpp: 1,000 simulated charge points against a server on PostgreSQL and the Redis channel layer
OCPP_BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/evfleet_ocppbench
OCPP_BENCH_REDIS_URL ?= redis://127.0.0.1:6379/1
bench-ocpp: install
	$(PY) -c "import psycopg; c = psycopg.connect('postgresql://postgres@127.0.0.1:5432/postgres', autocommit=True); c.execute('CREATE DATABASE evfleet_ocppbench') if not c.execute(\"SELECT 1 FROM pg_database WHERE datname='evfleet_ocppbench'\").fetchone() else None"
	DATABASE_URL=$(OCPP_BENCH_DATABASE_URL) REDIS_URL=$(OCPP_BENCH_REDIS_URL) $(PY) manage.py migrate --noinput --verbosity 0
	DATABASE_URL=$(OCPP_BENCH_DATABASE_URL) REDIS_URL=$(OCPP_BENCH_REDIS_URL) $(PY) manage.py bench_ocpp --stations 1000

## bench-smart-charging: ours against the classic baselines on seeded depot days, offline and online (no database)
bench-smart-charging: install
	$(PY) manage.py bench_smart_charging

## bench-pages: first paint and load of the main pages in Chromium, cold and warm cache, on the demo (as `make run` sets it up)
bench-pages: install-dev
	$(PY) manage.py migrate --noinput --verbosity 0
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(PY) manage.py seed_demo > /dev/null
	$(PY) manage.py bench_pages

## bench-simulation: battery aging of 10,000 vehicles over a year of hourly data, energy for 100,000 trip segments, the calibration table (no database)
bench-simulation: install
	$(PY) manage.py bench_simulation

## bench-routing: route queries on a city graph, charging stops on 300 stations, the E-VRPTW on the published instances (about 15 min; no database)
bench-routing: install
	$(PY) manage.py bench_routing

## bench-v2g: a workplace V2G day over 100 seeds: as fast / as late as possible, ours online and the oracle; 1,000 vehicles planned (no database)
bench-v2g: install
	$(PY) manage.py bench_v2g

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache .ruff_cache

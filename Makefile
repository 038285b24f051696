# Two commands set up a fresh machine that has Python 3.11+: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000

# Every install takes the exact versions of the constraints file (pyproject.toml keeps the
# ranges for library users), so a fresh machine gets what the tests ran against.
CONSTRAINTS := requirements/constraints.txt
PIP := $(BIN)/python -m pip install --quiet --disable-pip-version-check -c $(CONSTRAINTS)

.PHONY: run test test-postgres soak install lint audit lock bench clean-db

# Reinstall only when the dependency list changes, so repeat runs are fast.
$(VENV)/.installed-run: pyproject.toml $(CONSTRAINTS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade pip
	$(PIP) -e '.[server]'
	touch $@

$(VENV)/.installed-test: pyproject.toml $(CONSTRAINTS) $(VENV)/.installed-run
	$(PIP) -e '.[test]'
	touch $@

install: $(VENV)/.installed-run

# `make run` links certificates to the address it serves on (a browser cannot open
# 0.0.0.0, so listening on every interface links to 127.0.0.1) and, unless PROVIDER_NAME
# is given, issues them for a clearly fictional demo provider: each one says "Sample".
LINK_HOST := $(if $(filter 0.0.0.0 ::,$(HOST)),127.0.0.1,$(HOST))
DEMO := $(if $(filter undefined,$(origin PROVIDER_NAME)),1,0)
run: export BASE_URL ?= http://$(LINK_HOST):$(PORT)
run: export PROVIDER_DEMO ?= $(DEMO)
ifeq ($(DEMO),1)
run: export PROVIDER_NAME := Lakeshore Demo Institute for Continuing Education (fictional)
run: export PROVIDER_CONTACT ?= corrections@example.org (demo address)
run: export CERT_SIGNATORY_NAME ?= Jordan Sample (fictional)
run: export CERT_SIGNATORY_TITLE ?= Director of Continuing Education (demo)
endif

## Serve the engine on http://127.0.0.1:5000 with every package under content/ imported.
run: $(VENV)/.installed-run
	@echo "Certificates link to $$BASE_URL; provider: $$PROVIDER_NAME (demo: $$PROVIDER_DEMO)"
	$(FLASK) db upgrade
	$(FLASK) course import content --reason "The course in content/, served by make run"
	$(FLASK) users demo-admin
	$(FLASK) run --host $(HOST) --port $(PORT)

## Lint and run the whole test suite on SQLite, in three passes.
## Tests of the app in-process run in TEST_WORKERS processes at once. Three processes on
## two cores: many tests wait (on a lock, a sleep, the disk), and a third process measured
## the in-process pass 20% shorter (2 min 09 s against 2 min 40 s).
## Tests that drive a browser (browser) or real counterparts in processes of their own
## (interop, but not in_process) run in two processes, a whole file to each, as a module's
## server and what its tests build stay in one process; but each case of the few long
## tests (LONG in tests/conftest.py: the page audits at three widths, the journeys) goes
## alone and before the files to whichever process is free: one of them started last
## held the pass up while the other process sat idle. Measured back to back on two cores
## (Dec 2026, other sessions' tests loading the machine) this pass took 6 min 12 s with
## a whole file to each process (6:03 and 5:31 of tests; the staff pages' audit, 69 s,
## started last) and 5 min 50 s so (5:42 and 5:28). Split one test per width, the audits
## walked the pages three times: 60% more work, and a longer pass on two processes.
## Those that time servers under load (concurrency, ops) then run one at a time, with
## nothing beside them.
## Measured back to back on two cores (Dec 2026, another session's tests sharing the
## machine): run one at a time, these took 6 min 00 s and 6 min 21 s; split so, 4 min 56 s,
## 4 min 39 s and 4 min 26 s (two processes 3:58, 3:48, 3:36; one at a time 58 s, 51 s,
## 50 s). The whole of make test: 6 min 38 s, against 10 min 55 s before on a busier machine.
TEST_WORKERS ?= 3
SERIAL := (browser or concurrency or ops or interop) and not in_process
ALONE := concurrency or ops
# Each test process compiles the app and rewrites the tests' asserts, ten seconds of CPU
# apiece, unless the bytecode is kept (it is, in __pycache__, which git ignores): where
# the environment sets PYTHONDONTWRITEBYTECODE, every process of every run paid it again.
test: export PYTHONDONTWRITEBYTECODE :=
test: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n $(TEST_WORKERS) -m "not ($(SERIAL))"
	$(BIN)/python -m pytest -n 2 --dist loadfile -m "($(SERIAL)) and not ($(ALONE))" \
		--durations=10
	$(BIN)/python -m pytest -p no:xdist -m "($(SERIAL)) and ($(ALONE)) and not soak" \
		--durations=5

## The app's in-process tests again on PostgreSQL: PG_TEST_URL names a database its role
## owns, and each test process makes its own beside it (`_gw0`, `_gw1`, ...). About three
## minutes on two cores, kept out of `make test` (as the soaks are) so that it stays under
## ten minutes; CI runs it after `make test`.
test-postgres: $(VENV)/.installed-test
	@test -n "$$PG_TEST_URL" || { \
		echo "Set PG_TEST_URL, e.g. postgresql+psycopg://role:password@127.0.0.1:5432/db"; \
		exit 2; }
	TEST_DATABASE_URL="$$PG_TEST_URL" $(BIN)/python -m pytest -n $(TEST_WORKERS) \
		tests/course -m "not ($(SERIAL))"

## The fault soaks (a gunicorn worker killed every five seconds under load, on SQLite and
## on PostgreSQL when PG_TEST_URL is set): about a minute, kept out of `make test` so it
## stays under ten minutes on two cores. CI runs both.
soak: $(VENV)/.installed-test
	$(BIN)/python -m pytest -p no:xdist -m soak --durations=5

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .

## Check the pinned versions against known vulnerabilities (says so when it cannot).
audit: $(VENV)/.installed-test
	$(BIN)/python .ci/audit.py $(CONSTRAINTS)

## Rebuild the constraints file: a fresh environment at the newest versions the ranges allow.
LOCK_VENV := .lock-venv
lock:
	rm -rf $(LOCK_VENV)
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(LOCK_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	sed -n '/^#/p' $(CONSTRAINTS) > $(CONSTRAINTS).new
	$(LOCK_VENV)/bin/python -m pip freeze --all --exclude-editable \
		| grep -v '^setuptools==' >> $(CONSTRAINTS).new
	mv $(CONSTRAINTS).new $(CONSTRAINTS)
	rm -rf $(LOCK_VENV)

bench: $(VENV)/.installed-test
	$(BIN)/python bench/bench_import.py

clean-db:
	rm -f instance/course.db instance/course.db-wal instance/course.db-shm

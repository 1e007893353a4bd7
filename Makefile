# masip: two set-up commands, `make demo` and `make test`. Everything else here serves them.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DJANGO := $(BIN)/python manage.py
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: venv demo test lint typecheck check migrations-check schema lock assets serve clean

# Creates .venv with the locked dependencies; does nothing when it is already up to date.
venv: $(STAMP)

$(STAMP): requirements.lock
	@command -v $(PYTHON) >/dev/null || { echo "masip needs $(PYTHON) on the PATH (Debian: apt-get install python3.11 python3.11-venv)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements.lock
	touch $(STAMP)

demo: venv
	$(DJANGO) migrate --no-input
	$(DJANGO) demo_unit --url http://$(HOST):$(PORT)/
	@echo ""
	@echo "masip is serving the demo unit on http://$(HOST):$(PORT)/ (Ctrl-C stops it)."
	@# The background worker (file imports) runs beside the web server and stops with it.
	$(DJANGO) db_worker --no-reload & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(DJANGO) runserver $(HOST):$(PORT)

test: venv lint typecheck migrations-check check
	$(BIN)/pytest -n 2

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: venv
	$(BIN)/mypy

migrations-check: venv
	DJANGO_SETTINGS_MODULE=masip.settings.test $(DJANGO) makemigrations --check --dry-run

# The production settings, with throwaway secrets, must pass Django's deployment checks.
check: venv
	DJANGO_SETTINGS_MODULE=masip.settings.production \
	SECRET_KEY="check-deploy-$$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')" \
	MASIP_KEYS="$$(DJANGO_SETTINGS_MODULE=masip.settings.test $(DJANGO) generate_key --id check)" \
	MASIP_AUDIT_KEYS="$$(DJANGO_SETTINGS_MODULE=masip.settings.test $(DJANGO) generate_key --id check-audit)" \
	MASIP_INDEX_KEY="$$(DJANGO_SETTINGS_MODULE=masip.settings.test $(DJANGO) generate_key --id check-index)" \
	ALLOWED_HOSTS=masip.example.org \
	DATABASE_URL=sqlite:///var/check.sqlite3 \
	$(DJANGO) check --deploy --fail-level WARNING

# Regenerates docs/openapi.yaml from the code (a test fails when the two drift).
schema: venv
	DJANGO_SETTINGS_MODULE=masip.settings.test $(DJANGO) spectacular --file docs/openapi.yaml --validate --fail-on-warn

# Regenerates requirements.lock from pyproject.toml (needs network access to PyPI).
lock:
	$(PYTHON) -m pip install --quiet uv && $(PYTHON) -m uv pip compile pyproject.toml --extra dev --python-version 3.11 --generate-hashes -o requirements.lock

# Updates the vendored GOV.UK Frontend and htmx builds under static/ from the npm registry.
assets:
	scripts/update-frontend-assets

clean:
	rm -rf $(VENV) var/*.sqlite3* .pytest_cache .mypy_cache .ruff_cache

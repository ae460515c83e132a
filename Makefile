# The project's two entry points: `make run` and `make test`. `make install` is their common step.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
FRONTEND := frontend
NPM_STAMP := $(FRONTEND)/node_modules/.installed
STANDALONE := $(FRONTEND)/.next/standalone/server.js
# What the web app's build depends on: rebuilt by `make run` only when one of these changed.
FRONTEND_SOURCES := $(shell find $(FRONTEND)/src $(FRONTEND)/public -type f 2>/dev/null) \
	$(FRONTEND)/package-lock.json $(FRONTEND)/next.config.ts $(FRONTEND)/tsconfig.json \
	$(FRONTEND)/scripts/copy-standalone-assets.mjs
export NEXT_TELEMETRY_DISABLED := 1

.PHONY: install install-python install-frontend chromium tesseract poppler build run demo test lint \
	typecheck pytest frontend-lint frontend-typecheck frontend-unit e2e bench clean test-long model-schema \
	api-types api-types-check
DEMO := var/demo

install: install-python install-frontend chromium tesseract

install-python: $(STAMP)

$(STAMP): backend/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check -q --upgrade pip
	$(BIN)/pip install --disable-pip-version-check -q -e 'backend[dev,ray]'
	touch $(STAMP)

install-frontend: $(NPM_STAMP)

$(NPM_STAMP): $(FRONTEND)/package.json $(FRONTEND)/package-lock.json
	cd $(FRONTEND) && npm ci --no-audit --no-fund --loglevel=error
	touch $(NPM_STAMP)

# Debian's Chromium for the end-to-end tests (never a browser download of playwright's own).
chromium:
	@command -v chromium >/dev/null || (apt-get update && apt-get install -y --no-install-recommends chromium)

# Debian's Tesseract: OCR of the printed lead labels on scans and photos (layout/label_ocr.py).
tesseract:
	@command -v tesseract >/dev/null || (apt-get update && apt-get install -y --no-install-recommends tesseract-ocr)

# Debian's poppler-utils: `pdftoppm` renders pages for the published app's baseline in `make bench`.
poppler:
	@command -v pdftoppm >/dev/null || (apt-get update && apt-get install -y --no-install-recommends poppler-utils)

# The web app: `next build` (output: standalone) with its static assets copied beside server.js.
build: install-frontend
	cd $(FRONTEND) && npm run build

$(STANDALONE): $(NPM_STAMP) $(FRONTEND_SOURCES)
	cd $(FRONTEND) && npm run build

lint: install-python
	$(BIN)/ruff check --config backend/pyproject.toml backend tests benchmarks
	$(BIN)/ruff format --config backend/pyproject.toml --check backend tests benchmarks

typecheck: install-python
	$(BIN)/mypy --config-file backend/pyproject.toml backend/mtecg

# pytest in two runs: the independent suites spread over two worker processes (pytest-xdist,
# whole files per worker so that module fixtures are built once), then tests/reliability on its
# own: it drives real servers into overload and SIGKILLs them, and its timing checks must not
# share the two cores with other suites.
PYTEST_WORKERS ?= 2
pytest: install-python tesseract
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile --ignore=tests/reliability
	$(BIN)/pytest -p no:xdist tests/reliability

frontend-lint: install-frontend
	cd $(FRONTEND) && npm run --silent lint

frontend-typecheck: install-frontend
	cd $(FRONTEND) && npm run --silent typecheck

frontend-unit: install-frontend
	cd $(FRONTEND) && npm run --silent test:unit

# frontend/src/api/schema.d.ts, the web app's API types, generated (openapi-typescript) from the
# backend's OpenAPI document built without a server (scripts/openapi_schema.py); the check
# fails when the checked-in file differs from what the backend now says.
api-types: install-python install-frontend
	cd $(FRONTEND) && node scripts/api-types.mjs

api-types-check: install-python install-frontend
	cd $(FRONTEND) && node scripts/api-types.mjs --check

# The real backend (temp SQLite, models/demo or MTECG_E2E_MODEL_DIR) and the built web app in
# Debian's Chromium; screenshots in frontend/test-results/e2e/.
e2e: install $(STANDALONE)
	cd $(FRONTEND) && npm run --silent test:e2e

# The web app is built before pytest so that tests/deploy also checks the built server.
test: lint typecheck $(STANDALONE) pytest frontend-lint frontend-typecheck api-types-check frontend-unit e2e

# Tests marked `long` (pytest.ini leaves them out of every other run): the repeated-SIGKILL
# crash suite and the PostgreSQL outage, which stops this machine's PostgreSQL for a few seconds
# (run it when no other suite is using PostgreSQL). See tests/reliability/README.md.
test-long: install-python tesseract
	$(BIN)/pytest -m long

# The web app and its backend on this machine: http://127.0.0.1:3000 (scripts/run-local.sh).
run: install $(STANDALONE)
	scripts/run-local.sh

# The command-line pipeline on a synthetic printout, without the service.
demo: install-python
	@mkdir -p $(DEMO)
	@$(BIN)/mtecg synth --n 1 --seed 7 --layout siriraj-grid --out $(DEMO) > /dev/null
	@$(BIN)/mtecg preprocess $(DEMO)/00000.pdf --out $(DEMO)/canonical.png
	@echo
	@echo "Synthetic printout: $(DEMO)/00000.pdf"
	@echo "Canonical 12-lead image: $(DEMO)/canonical.png"
	@echo "Try your own: $(BIN)/mtecg preprocess ECG.pdf --out canonical.png --json"

# Every figure in benchmarks/README.md (stage timings, end-to-end vs the published app's pipeline,
# memory, cold start, load) measured on this machine; rewrites the README's report table.
bench: install-python poppler
	$(BIN)/python benchmarks/report.py --json benchmarks/results/report.json

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache \
		$(FRONTEND)/node_modules $(FRONTEND)/.next $(FRONTEND)/test-results

# models/model.schema.json, the JSON schema of model.json, from mtecg/model/manifest.py.
model-schema: install-python
	$(BIN)/python -m mtecg.model.schema_file models/model.schema.json

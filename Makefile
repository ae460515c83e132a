# The project's two entry points: `make run` and `make test`. `make install` is their common step.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint typecheck pytest bench clean
DEMO := var/demo

install: $(STAMP)

$(STAMP): backend/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check -q --upgrade pip
	$(BIN)/pip install --disable-pip-version-check -q -e 'backend[dev]'
	touch $(STAMP)

lint: install
	$(BIN)/ruff check --config backend/pyproject.toml backend tests benchmarks
	$(BIN)/ruff format --config backend/pyproject.toml --check backend tests benchmarks

typecheck: install
	$(BIN)/mypy --config-file backend/pyproject.toml backend/mtecg

pytest: install
	$(BIN)/pytest

test: lint typecheck pytest

# Until the web service exists, `run` shows the pipeline end to end on a synthetic printout.
run: install
	@mkdir -p $(DEMO)
	@$(BIN)/mtecg synth --n 1 --seed 7 --layout siriraj-grid --out $(DEMO) > /dev/null
	@$(BIN)/mtecg preprocess $(DEMO)/00000.pdf --out $(DEMO)/canonical.png
	@echo
	@echo "Synthetic printout: $(DEMO)/00000.pdf"
	@echo "Canonical 12-lead image: $(DEMO)/canonical.png"
	@echo "Try your own: $(BIN)/mtecg preprocess ECG.pdf --out canonical.png --json"

bench: install
	$(BIN)/python benchmarks/preprocess.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

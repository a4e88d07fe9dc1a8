# One entry point: `make run` installs and runs the pipeline on embedded defaults,
# `make test` installs and runs the test suite. Everything else is optional.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOME_DIR ?= .cineaesthete

.PHONY: install footage run test test-fast lint dev status clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

# The real film footage for the vibe index and its tests: Debian opencv-doc's Megamind clip,
# downloaded with apt-get download (not installed); without apt the run says no trailer is
# configured and the real-footage test is skipped with that reason.
footage: install
	-$(BIN)/python -m ml.vision.trailers --home $(HOME_DIR)

run: install footage
	$(BIN)/cine run --home $(HOME_DIR)

test: install lint footage
	$(BIN)/pytest

test-fast: install
	$(BIN)/pytest -m "not slow"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/codespell pipelines assets ml quality reports publish cli sql tests docs README.md

dev: install
	mkdir -p $(HOME_DIR)/dagster
	test -f $(HOME_DIR)/dagster/dagster.yaml || printf 'telemetry:\n  enabled: false\n' > $(HOME_DIR)/dagster/dagster.yaml
	DAGSTER_HOME=$(abspath $(HOME_DIR))/dagster $(BIN)/dagster dev -w workspace.yaml

status: install
	$(BIN)/cine status --home $(HOME_DIR)

clean:
	-$(BIN)/cine db stop --home $(HOME_DIR)
	rm -rf $(HOME_DIR)

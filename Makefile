# evalkit: run `make help` for the list of targets.
# Every target that needs Python creates the virtual environment (.venv) first, from
# pyproject.toml (the single source of dependencies).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-dev
LABSTAMP := $(VENV)/.installed-lab
OUT    ?= outputs
ARGS   ?=

.DEFAULT_GOAL := help
.PHONY: help venv report test lint format lab demo bench catalogs clean

help: ## show this help
	@awk 'BEGIN {FS = ":.*?## "} /^[a-zA-Z_-]+:.*?## / {printf "  make %-8s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

venv: $(STAMP) ## create .venv and install evalkit with its dependencies

report: $(STAMP) ## build every year's document on the data (data/raw, else the synthetic demo) and outputs/index.html
	$(BIN)/evalkit build --out $(OUT) $(ARGS)

# -n auto: one pytest-xdist worker per processor; loadgroup keeps the tests that share a
# module-scoped fixture on one worker (tests/conftest.py). ARGS="-n 0 ..." runs serially.
test: $(STAMP) ## run the test suite in parallel (unit, demo data against the published figures, notebooks end to end)
	$(BIN)/python -m pytest -n auto --dist loadgroup $(ARGS)

lint: $(STAMP) ## ruff lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP) ## ruff format and autofix
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

$(LABSTAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,lab]'
	@touch $(LABSTAMP)

lab: $(LABSTAMP) ## open JupyterLab with the project kernel (options in ARGS, e.g. ARGS="--no-browser --port 8900")
	$(BIN)/python -m evalkit.lab $(ARGS)

demo: $(STAMP) ## regenerate the synthetic demo data (byte for byte the same)
	$(BIN)/evalkit demo

bench: $(STAMP) ## run the benchmarks (cleaning vs reading; build vs plain papermill; the PDF's cost; a cached answer; a forked kernel)
	$(BIN)/python benchmarks/bench_clean.py
	$(BIN)/python benchmarks/bench_build.py
	$(BIN)/python benchmarks/bench_pdf.py
	$(BIN)/python benchmarks/bench_cached.py
	$(BIN)/python benchmarks/bench_kernels.py

catalogs: $(STAMP) ## add the message keys the code uses to evalkit/locale/*/LC_MESSAGES/evalkit.po; list unused keys
	$(BIN)/python -m evalkit.catalogs update

clean: ## remove generated outputs (keeps .venv)
	rm -rf $(OUT)/* .pytest_cache .ruff_cache
	@touch $(OUT)/.gitkeep

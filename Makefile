# Two commands matter: `make run` and `make test`. Both install first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HEADRACE_HOME ?= $(CURDIR)/.headrace
export HEADRACE_HOME

.PHONY: install browser run test lint typecheck unit screenshots bench bench-run bench-server bench-ray bench-ui clean

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

# Debian's Chromium for tests/ui and bench/ui.py (Playwright drives it; it downloads no browser).
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
browser:
	command -v chromium >/dev/null || ($(SUDO) apt-get update && $(SUDO) apt-get install -y chromium)

run: install
	$(BIN)/headrace run examples/hello_pipeline.py --param rows=5
	@echo
	@echo "Runs are recorded in $(HEADRACE_HOME)/headrace.db; look at them with:"
	@echo "  $(BIN)/headrace runs list"
	@echo "  $(BIN)/headrace runs show <RUN_ID>"
	@echo "  $(BIN)/headrace logs <RUN_ID>"
	@echo
	@echo "Starting the server: the web UI at http://127.0.0.1:8888/ and"
	@echo "  the Kubeflow API at http://127.0.0.1:8888/apis/v2beta1"
	@echo "  (kfp.Client(host=\"http://127.0.0.1:8888\")); Ctrl-C stops it."
	$(BIN)/headrace server

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: install
	$(BIN)/mypy

unit: install
	$(BIN)/pytest -q

test: browser lint typecheck unit

# The browser tests again, saving the main pages as docs/screenshots/*.png.
screenshots: install browser
	UI_SCREENSHOTS=docs/screenshots $(BIN)/pytest -q -p no:cacheprovider tests/ui

# Each script rewrites only its own section of docs/benchmarks.md (about 15 minutes in all).
bench: bench-server bench-run bench-ui

# Issue 5's table: Headrace local / warm vs kfp.local, W1-W5, and a profile of W2 (~5 min).
bench-run: install
	$(BIN)/python bench/run.py --output docs/benchmarks.md

bench-server: install
	$(BIN)/python bench/server.py --output docs/benchmarks.md

# Issue 7's table: W2 and W3 on a two-node Ray cluster on this machine vs the local executor.
bench-ray: install
	$(BIN)/python bench/ray_cluster.py --output docs/benchmarks.md

# Run details (1,000 and 5,000 tasks) and the runs list (100,000 runs): first render, bytes.
bench-ui: install browser
	$(BIN)/python bench/ui.py --output docs/benchmarks.md --screenshot docs/screenshots/loop-progress.png

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache

# consentcrawl: every target that runs code depends on `setup`, which builds .venv once.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo test lint format bench bench-quick clean docs-screenshot

setup: $(STAMP)
	@:

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "setting up $(VENV) (first run only)"
	@$(BIN)/python -m pip install --disable-pip-version-check -e '.[dev,wacz]' >$(VENV)/install.log 2>&1 \
		|| { cat $(VENV)/install.log; echo "make setup: pip install failed (log: $(VENV)/install.log)"; exit 1; }
	@touch $(STAMP)

demo: setup
	@$(BIN)/python -m crawler.demo

test: setup lint
	@$(BIN)/python -m pytest -n auto --dist loadfile

lint: setup
	@$(BIN)/ruff format --check crawler pipelines tests bench
	@$(BIN)/ruff check crawler pipelines tests bench
	@$(BIN)/mypy

format: setup
	@$(BIN)/ruff format crawler pipelines tests bench
	@$(BIN)/ruff check --fix crawler pipelines tests bench

bench: setup
	@$(BIN)/python -m bench.run

bench-quick: setup
	@$(BIN)/python -m bench.run --quick

# docs/report.png, the README's picture of report.html (needs `make demo` first and Chromium).
docs-screenshot: setup
	@$(BIN)/python -m crawler.report.screenshot out/demo docs/report.png

clean:
	rm -rf $(VENV) out build *.egg-info .mypy_cache

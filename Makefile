# The two commands: `make demo` and `make test`. Both bootstrap .venv on a fresh machine.
# `make check` is the fast loop while editing: lint, import contracts, types, unit tests.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install browser-deps demo up test lint check ruff imports types unit samples clean synth lock

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# The browser-side clients the tests drive (the real @uppy/aws-s3, from npm).
BROWSER_DEPS := tests/browser/node_modules/.installed
$(BROWSER_DEPS): tests/browser/package.json tests/browser/package-lock.json
	cd tests/browser && npm ci --no-audit --no-fund --loglevel=error
	touch $(BROWSER_DEPS)

browser-deps: $(BROWSER_DEPS)

demo: install
	$(BIN)/pipeline demo

up: install
	$(BIN)/pipeline up

# The fast loop, also run by the pre-commit hooks (.pre-commit-config.yaml): lint, the import
# contracts of pyproject.toml, types, and the tests marked `unit` (tests/conftest.py).
check: ruff imports types unit

ruff: install
	$(BIN)/ruff check .

imports: install
	$(BIN)/lint-imports

types: install
	$(BIN)/mypy pipeline handlers pipeline_dev

unit: install
	$(BIN)/pytest -q -m unit

# Also the CDK app's types (minutes the first time, for aws-cdk-lib's; cached after).
lint: ruff imports types
	$(BIN)/mypy infra

# Browser tests also need Debian's chromium (.ci/run installs it: apt-get install chromium).
test: lint browser-deps
	$(BIN)/pytest

# The CDK app into cdk.out/, offline and without Docker: Lambda code bundled here with arm64
# wheels. Deploy it with `cd infra && npx aws-cdk@2 deploy` (see docs/deploying.md).
synth: install
	rm -rf cdk.out
	$(BIN)/python infra/app.py
	@du -sh cdk.out/asset.* | sed 's/^/lambda package: /'

# The Lambda runtime dependencies pinned with hashes for the function's Python and arm64
# (infra/lambda-requirements.txt, which the bundle installs): after changing dependencies.
lock: install
	$(BIN)/python -m infra.bundling

samples: install
	$(BIN)/python -m pipeline_dev.samples

clean:
	rm -rf $(VENV) .pipeline .pytest_cache .mypy_cache .ruff_cache

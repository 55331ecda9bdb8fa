# The two commands: `make demo` and `make test`. Both bootstrap .venv on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install browser-deps demo up test lint samples clean synth lock

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

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy pipeline handlers infra

# Browser tests also need Debian's chromium (.ci/run installs it: apt-get install chromium).
test: lint browser-deps
	$(BIN)/pytest

# The CDK app into cdk.out/, offline and without Docker: Lambda code bundled here with arm64
# wheels. Deploy it with `cd infra && npx aws-cdk@2 deploy` (see "Deploying to AWS" in README.md).
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

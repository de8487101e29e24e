# Everything a newcomer needs: `make run` and `make test` set themselves up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# The dashboard's browser libraries (xterm.js), from the npm registry at the versions
# package-lock.json pins, copied into the package: served by ppcdbg, never from a CDN.
VENDOR := service/dashboard/vendor
VENDORED := $(VENDOR)/xterm.js $(VENDOR)/xterm.css $(VENDOR)/addon-fit.js

.PHONY: setup run test bench lint typecheck goldens openapi linux vendor clean

$(STAMP): pyproject.toml $(VENDORED)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

$(VENDORED) &: package.json package-lock.json service/dashboard/vendor.sh
	sh service/dashboard/vendor.sh

vendor: $(VENDORED)

setup: $(STAMP)

# Serve on 127.0.0.1:8000 with the SMP demo session preloaded; prints the URL and a token.
run: $(STAMP)
	$(BIN)/ppcdbg serve --demo

# One pytest worker per core (pytest-xdist; work stealing evens out the long differential and
# kernel tests at the end); PYTEST_JOBS=0 runs them in this process.
PYTEST_JOBS ?= auto
test: $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider -n $(PYTEST_JOBS) --dist worksteal \
		--durations=15 $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python -m bench

# Hygiene that CI enforces (.ci/run): lint, formatting, types, import contracts.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

openapi: $(STAMP)
	$(BIN)/python -m service.openapi_dump

# Debian's ppc64el kernel and busybox-static (apt-get download, private package lists) and an
# initramfs for them, in build/linux/ (README, "Linux").
linux: $(STAMP)
	$(BIN)/python -m service.linux --dir build/linux

goldens: $(STAMP)
	$(BIN)/python -m tests.differential.regen

clean:
	rm -rf $(VENV) build *.egg-info node_modules $(VENDOR)

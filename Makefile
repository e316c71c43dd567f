# Two commands a new user needs:  `make dev` (set up, run the echo example)  and  `make test`.
# `make dev` needs Python alone; `make test` also needs npm (wscat) and Chromium (installed when missing).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: setup dev test bench clean browser

# Everything a contributor needs: the virtual environment, wscat and Chromium for the tests.
setup: $(VENV)/.installed node_modules/.installed browser

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

# wscat drives the emulator in the end-to-end tests, as a user would.
node_modules/.installed: package.json
	npm install --no-audit --no-fund --loglevel=error
	touch $@

# Headless Chromium for the browser test (tests/e2e/test_flask_chat.py): Debian's packages,
# installed when missing (apt-get needs root, as on CI).
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
		{ apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium chromium-driver; }

# The echo example on the local emulator: ws://127.0.0.1:8765/dev (Ctrl-C stops). Python only.
dev: $(VENV)/.installed
	cd examples/echo && $(abspath $(BIN))/wsdeploy dev

test: setup
	$(BIN)/python -m pytest -n auto

bench: setup
	for script in bench/bench_*.py; do $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) node_modules .pytest_cache

# storyline: two commands on a fresh machine.
#   make run   - virtualenv + install + the main job on the bundled sample corpus
#   make test  - virtualenv + test extras + system packages for browser tests + pytest
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip
DB     ?= storyline.db
REPORT ?= report.html

.PHONY: run test install install-test system-deps lint eval bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(PIP) install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(PIP) install -q -e '.[test,spark]'
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test system-deps

# Browser tests drive Debian's Chromium (no browser download); Spark needs a JRE (Java 17 is on the image).
system-deps:
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then \
	  echo "installing chromium + chromium-driver (Debian packages)"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null) \
	    || echo "WARNING: could not install chromium; browser tests will be skipped"; \
	fi

run: install
	$(BIN)/storyline run --sample --db $(DB) --report $(REPORT)

test: install-test
	$(BIN)/python -m pytest -q; rc=$$?; if [ $$rc -eq 5 ]; then echo 'pytest collected no tests' >&2; exit 1; fi; exit $$rc

lint: install-test
	$(BIN)/ruff check src tests bench

eval: install
	$(BIN)/storyline eval ../shared/data/gvc/docs.jsonl --gold event_id

clean:
	rm -rf $(VENV) $(DB) $(DB)-wal $(DB)-shm $(REPORT) build src/*.egg-info

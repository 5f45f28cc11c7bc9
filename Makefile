# SciVisit: `make run` serves the demo, `make test` runs every check.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 5000
FLASK  := $(BIN)/flask --app app
# Where translatable strings live (the virtual environment must not be scanned).
SOURCES := app.py api.py cli.py demo.py accounts core events kits mail volunteers checkin calendars reports templates

# The embedded default database, the only one `make demo-reset` deletes.
DEMO_DB := $(or $(SCIVISIT_INSTANCE),instance)/scivisit.sqlite3

.PHONY: run test install dev-install translations assets extract-messages migrate seed demo-reset screenshots lint format bench clean

$(VENV)/.installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements-dev.txt $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

dev-install: $(VENV)/.dev-installed

translations: install
	$(BIN)/pybabel compile -d translations -D messages --statistics

extract-messages: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o translations/messages.pot --no-location --sort-output --omit-header $(SOURCES)
	$(BIN)/pybabel update -i translations/messages.pot -d translations -D messages --no-fuzzy-matching --ignore-obsolete --no-wrap
	$(BIN)/python translations/fill_en.py

migrate: install
	$(FLASK) db upgrade

seed: migrate
	PORT=$(PORT) $(FLASK) seed-demo

# Start the demo over: deletes the default SQLite database (never one DATABASE_URL names) and seeds again.
demo-reset: install
	@if [ -n "$$DATABASE_URL" ]; then \
		echo "demo-reset only deletes the default SQLite database ($(DEMO_DB)); DATABASE_URL is set, so nothing was deleted." >&2; \
		exit 1; \
	fi
	rm -f $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm
	$(MAKE) --no-print-directory seed

# Mail is printed on stdout between "=== mail" lines; the server's access log goes to stderr.
run: translations assets seed
	@echo "SciVisit is serving on http://127.0.0.1:$(PORT) (mail sent by the app is printed here)"
	PORT=$(PORT) MAIL_WORKER_THREAD=1 $(FLASK) run --host 127.0.0.1 --port $(PORT) --no-reload

lint: dev-install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: dev-install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Front-end packages (npm, pinned by package-lock.json) copied into the git-ignored static/vendor/: only
# the files the pages load, with their licences (zxing-wasm's wasm holds zxing-cpp, Apache-2.0: its README's
# "Licenses" section names each part's). Reruns only when package-lock.json changes.
VENDOR := static/vendor

assets: $(VENDOR)/.installed

$(VENDOR)/.installed: package-lock.json
	@command -v npm >/dev/null || { echo "make assets needs Node.js and npm (Debian: apt-get install nodejs npm)" >&2; exit 1; }
	npm ci --ignore-scripts --silent --no-audit --no-fund
	rm -rf $(VENDOR)/zxing-wasm
	mkdir -p $(VENDOR)/zxing-wasm
	cp node_modules/zxing-wasm/dist/iife/reader/index.js $(VENDOR)/zxing-wasm/zxing-reader.js
	cp node_modules/zxing-wasm/dist/reader/zxing_reader.wasm node_modules/zxing-wasm/LICENSE $(VENDOR)/zxing-wasm/
	sed -n '/^## Licenses/,$$p' node_modules/zxing-wasm/README.md > $(VENDOR)/zxing-wasm/LICENSES.md
	touch $@

# ical.js (npm) reads the mailed calendar files in tests/mail; without Node that test is skipped.
tests/mail/node/node_modules/.package-lock.json: tests/mail/node/package.json tests/mail/node/package-lock.json
	@if command -v node >/dev/null && command -v npm >/dev/null; then \
		npm ci --prefix tests/mail/node --silent --no-audit --no-fund; \
	else \
		echo "Node.js not found: the ical.js calendar test will be skipped"; \
	fi

test: dev-install translations assets tests/mail/node/node_modules/.package-lock.json
	$(BIN)/ruff check .
	$(BIN)/pytest -n auto --maxprocesses 4

# The README's phone screenshots (docs/screenshots/), from the demo data on a throwaway database.
screenshots: dev-install translations
	$(BIN)/python docs/screenshots.py

# The load comes from wrk (Debian's package, installed here if missing); BENCH_DATABASE_URL picks the database.
bench: dev-install translations
	@command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache tests/mail/node/node_modules node_modules $(VENDOR)
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

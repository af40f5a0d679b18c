# The front door: `make run` serves the site, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)

.PHONY: run test test-fast worker lint format bench bench-check profile-check bench-import bench-scale bench-api bench-alerts bench-enum bench-timing bench-xlsx bench-hostile messages vendor vendor-altcha screenshots clean backup restore

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -r requirements.txt -r requirements-dev.txt
	rm -f $(VENV)/.installed-* && touch $@

# Secrets of the embedded default, readable by their owner only from the first
# byte (umask), in a folder only the owner may enter.
.data:
	umask 077 && mkdir -p .data
	chmod 700 .data

.data/pepper: | .data
	umask 077 && $(PYTHON) -c "import secrets; print(secrets.token_urlsafe(48))" > $@

.data/secret-key: | .data
	umask 077 && $(PYTHON) -c "import secrets; print(secrets.token_urlsafe(50))" > $@

# The key that encrypts subscribers' contacts (a Fernet key: 32 random bytes, base64).
.data/alerts-key: | .data
	umask 077 && $(PYTHON) -c "import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())" > $@

SECRETS := .data/pepper .data/secret-key .data/alerts-key

# The embedded default is a development server: DEBUG is set here, never by default.
# The demo number is printed again, boxed, once the worker and server banners are out.
# `make run PORT=8001` serves on another port (links in mails and texts follow it).
PORT ?= 8000
run: export DEBUG = 1
run: export SITE_URL ?= http://127.0.0.1:$(PORT)
run: $(STAMP) $(SECRETS)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo
	@(sleep 8; $(PY) manage.py load_demo --print-only) &
	$(VENV)/bin/celery -A breachcheck worker --pool=solo --loglevel=INFO --beat \
	  --schedule .data/celerybeat-schedule & \
	  trap 'kill $$! 2>/dev/null' EXIT INT TERM; \
	  $(PY) manage.py runserver 127.0.0.1:$(PORT)

worker: $(STAMP)
	$(VENV)/bin/celery -A breachcheck worker --loglevel=INFO

test: lint
	$(VENV)/bin/pytest

# The edit-test loop: every test not marked slow (browser, worker, over ~0.3 s), no lint.
.PHONY: test-fast
test-fast: $(STAMP)
	$(VENV)/bin/pytest -m "not slow"

# Style, and the places' import rules (docs/ARCHITECTURE.md, contracts in pyproject.toml).
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# Backups (docs/OPERATIONS.md): the database dump and, apart from it, the secrets that
# live outside the database, sealed under a passphrase (BACKUP_PASSPHRASE or asked for).
# Keep the two files in different places.
BACKUP_DIR ?= .data/backups
backup: $(STAMP)
	$(PY) manage.py backup --to $(BACKUP_DIR)

# make restore DUMP=x.dump SECRETS=x.secrets [ENV_FILE=secrets.env]: the secrets first
# (into ENV_FILE, or the embedded default's .data/), then the dump into the configured
# database, which must be new and empty; then migrations newer than the dump.
restore: $(STAMP)
	@test -n "$(DUMP)" && test -n "$(SECRETS)" || \
	  { echo "usage: make restore DUMP=x.dump SECRETS=x.secrets [ENV_FILE=secrets.env]"; exit 2; }
ifdef ENV_FILE
	$(PY) -m leaks.sealed_secrets "$(SECRETS)" --env-file "$(ENV_FILE)"
	set -a && . "$(abspath $(ENV_FILE))" && set +a && \
	  $(PY) manage.py restore_database "$(DUMP)" && $(PY) manage.py migrate --noinput
else
	$(PY) -m leaks.sealed_secrets "$(SECRETS)" --data-dir .data
	$(PY) manage.py restore_database "$(DUMP)"
	$(PY) manage.py migrate --noinput
endif

# Plays a number harvester against gunicorn + Redis on 127.0.0.1 and counts its answers.
bench-enum: $(STAMP)
	REDIS_URL=$${REDIS_URL:-redis://127.0.0.1:6379/0} $(PY) bench/enum_attack.py $(BENCH_ARGS)

# Requests/s of the check page, the full check and the API lookup against /healthz/live,
# on gunicorn + PostgreSQL + Redis with the limits on (needs wrk); profile-check: where a check's time goes.
bench-check: $(STAMP)
	$(PY) bench/check_throughput.py $(BENCH_ARGS)

profile-check: $(STAMP)
	$(PY) bench/profile_check.py $(BENCH_ARGS)

# Times checks of numbers in no breach vs only in sensitive breaches (must look alike).
bench-timing: $(STAMP)
	$(PY) bench/sensitive_timing.py $(BENCH_ARGS)

# API timings on a throw-away test database (PostgreSQL too when DATABASE_URL is set).
bench-api: $(STAMP)
	$(PY) bench/api_lookup.py --numbers 200000 --breaches 20 --lookups 300

bench-alerts: $(STAMP)
	$(PY) bench/alerts_send.py --exposures 100000 --subscriptions 10000 --emails 200

# Peak memory reading an .xlsx of 1.2M unique shared strings, openpyxl against our reader.
bench-xlsx: $(STAMP)
	$(PY) bench/xlsx_memory.py --rows 300000

# Peak RSS and seconds of reading each hostile dump shape (issue 22): xlsx
# shared-string amplification, JSON with thousands of distinct keys, .zip/.gz/
# .bz2/.xz bombs, records keyed by their number. BENCH_ARGS="--only zip-bomb".
bench-hostile: $(STAMP)
	$(PY) bench/hostile.py $(BENCH_ARGS)

# Import benchmark on PostgreSQL + Redis (defaults below if unset); ROWS=N to resize.
BENCH_DATABASE_URL ?= $(or $(DATABASE_URL),postgres://postgres@127.0.0.1:5432/bc_bench)
BENCH_REDIS_URL ?= $(or $(REDIS_URL),redis://127.0.0.1:6379/9)
ROWS ?= 1000000

bench: bench-import

bench-import: $(STAMP)
	DATABASE_URL=$(BENCH_DATABASE_URL) REDIS_URL=$(BENCH_REDIS_URL) \
	  $(PY) bench/import_bench.py --rows $(ROWS)

# 10^8 exposures on PostgreSQL (its own database, dropped after; SCALE_ARGS=--keep keeps it).
SCALE_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/bc_scale_bench
EXPOSURES ?= 100000000
IMPORT_ROWS ?= 10000000

bench-scale: $(STAMP)
	DATABASE_URL=$(SCALE_DATABASE_URL) REDIS_URL=$(BENCH_REDIS_URL) \
	  $(PY) bench/scale.py --exposures $(EXPOSURES) --import-rows $(IMPORT_ROWS) $(SCALE_ARGS)

# The ALTCHA proof-of-work widget, vendored from the npm registry (no build step):
# the CSP-friendly "external" build, its PBKDF2 worker and the Chinese strings.
ALTCHA_VERSION ?= 3.2.2
vendor-altcha:
	tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	  (cd "$$tmp" && npm pack --silent altcha@$(ALTCHA_VERSION) >/dev/null && tar xzf altcha-$(ALTCHA_VERSION).tgz) && \
	  d=static/vendor/altcha && rm -rf $$d && mkdir -p $$d/workers $$d/i18n && \
	  cp "$$tmp"/package/dist/external/altcha.min.js "$$tmp"/package/dist/external/altcha.css $$d/ && \
	  cp "$$tmp"/package/dist/workers/pbkdf2.js $$d/workers/ && \
	  cp "$$tmp"/package/dist/i18n/zh-cn.js $$d/i18n/ && \
	  cp "$$tmp"/package/LICENSE.txt $$d/ && \
	  echo "altcha $(ALTCHA_VERSION) (npm), dist/external + workers/pbkdf2.js + i18n/zh-cn.js; refresh with make vendor-altcha" > $$d/VERSIONS

# Rebuilds static/vendor/ (committed; the site needs no build step) from the npm
# registry: exact versions, bundled into ES modules by esbuild in a scratch folder.
NOBLE_CURVES := 2.4.0
LIBPHONENUMBER_JS := 1.13.16
ESBUILD := 0.28.2
vendor:
	set -e; build=$$(mktemp -d); out=$$(pwd)/static/vendor; mkdir -p $$out; cd $$build; \
	npm init -y >/dev/null; \
	npm install --silent --no-audit --no-fund \
	  @noble/curves@$(NOBLE_CURVES) libphonenumber-js@$(LIBPHONENUMBER_JS) esbuild@$(ESBUILD); \
	printf "export { ristretto255_oprf } from '@noble/curves/ed25519.js';\nexport { sha256 } from '@noble/hashes/sha2.js';\n" > noble.js; \
	printf "export { parsePhoneNumberFromString, validatePhoneNumberLength } from 'libphonenumber-js/max';\n" > phone.js; \
	npx esbuild noble.js --bundle --format=esm --minify --legal-comments=eof --outfile=$$out/noble-oprf.js; \
	npx esbuild phone.js --bundle --format=esm --minify --legal-comments=eof --outfile=$$out/libphonenumber-max.js; \
	printf "@noble/curves %s\n@noble/hashes %s\nlibphonenumber-js %s\nesbuild %s\n" $(NOBLE_CURVES) \
	  $$(sed -n 's/^ *"version": "\(.*\)",/\1/p' node_modules/@noble/hashes/package.json) \
	  $(LIBPHONENUMBER_JS) $(ESBUILD) > $$out/VERSIONS; \
	rm -rf $$build

# The README's screenshots (docs/screenshots/), from a throw-away demo site in Chromium.
screenshots: $(STAMP)
	$(PY) docs/take_screenshots.py

messages: $(STAMP) $(SECRETS)
	$(PY) manage.py makemessages -l zh_Hans --no-obsolete -i .venv -i tests -i bench -i docs
	$(PY) manage.py compilemessages -l zh_Hans -i .venv

clean:
	rm -rf $(VENV) .data staticfiles

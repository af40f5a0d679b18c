# The front door: `make run` serves the site, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)

.PHONY: run test worker lint format bench bench-import bench-api bench-alerts bench-enum bench-timing bench-xlsx messages clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -r requirements.txt -r requirements-dev.txt
	rm -f $(VENV)/.installed-* && touch $@

.data/pepper:
	mkdir -p .data
	$(PYTHON) -c "import secrets; print(secrets.token_urlsafe(48))" > $@
	chmod 600 $@

# The key that encrypts subscribers' contacts (a Fernet key: 32 random bytes, base64).
.data/alerts-key:
	mkdir -p .data
	$(PYTHON) -c "import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())" > $@
	chmod 600 $@

run: $(STAMP) .data/pepper .data/alerts-key
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo
	$(VENV)/bin/celery -A breachcheck worker --pool=solo --loglevel=INFO --beat \
	  --schedule .data/celerybeat-schedule & \
	  trap 'kill $$! 2>/dev/null' EXIT INT TERM; \
	  $(PY) manage.py runserver 127.0.0.1:8000

worker: $(STAMP)
	$(VENV)/bin/celery -A breachcheck worker --loglevel=INFO

test: lint
	$(VENV)/bin/pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# Plays a number harvester against gunicorn + Redis on 127.0.0.1 and counts its answers.
bench-enum: $(STAMP)
	REDIS_URL=$${REDIS_URL:-redis://127.0.0.1:6379/0} $(PY) bench/enum_attack.py $(BENCH_ARGS)

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

# Import benchmark on PostgreSQL + Redis (defaults below if unset); ROWS=N to resize.
BENCH_DATABASE_URL ?= $(or $(DATABASE_URL),postgres://postgres@127.0.0.1:5432/bc_bench)
BENCH_REDIS_URL ?= $(or $(REDIS_URL),redis://127.0.0.1:6379/9)
ROWS ?= 1000000

bench: bench-import

bench-import: $(STAMP)
	DATABASE_URL=$(BENCH_DATABASE_URL) REDIS_URL=$(BENCH_REDIS_URL) \
	  $(PY) bench/import_bench.py --rows $(ROWS)

messages: $(STAMP)
	$(PY) manage.py makemessages -l zh_Hans --no-obsolete -i .venv -i tests
	$(PY) manage.py compilemessages -l zh_Hans -i .venv

clean:
	rm -rf $(VENV) .data staticfiles

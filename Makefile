# Allhands: the two commands are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PORT ?= 8000
PYTEST_ARGS ?=
# Test processes (pytest-xdist): one per CPU; PYTEST_WORKERS=0 runs the suite in this process.
PYTEST_WORKERS ?= auto

.PHONY: run test venv lint format messages check-deploy bench worker clean

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit("Allhands needs Python 3.10 or newer") if sys.version_info < (3, 10) else None'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

venv: $(STAMP)

## run: the app with demo data on http://127.0.0.1:$(PORT)/ plus one embedded Celery worker with beat
run: $(STAMP)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	@echo ""
	@echo "Allhands is starting on http://127.0.0.1:$(PORT)/  (Ctrl-C stops the web server and the worker)"
	@trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null; exit 0' INT TERM EXIT; \
	$(VENV)/bin/celery -A config worker -B --concurrency 1 --loglevel WARNING & worker=$$!; \
	$(PY) manage.py runserver --noreload 127.0.0.1:$(PORT)

## test: the whole suite (set DATABASE_URL / REDIS_URL to run it on PostgreSQL and Redis)
test: $(STAMP)
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

## bench: pages, HTTP throughput and jobs at 10,000 people on PostgreSQL and Redis (README "Benchmarks")
bench: $(STAMP)
	$(PY) -m benchmarks.run

worker: $(STAMP)
	$(VENV)/bin/celery -A config worker -B --concurrency 1 --loglevel INFO

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

messages: $(STAMP)
	$(PY) manage.py makemessages --locale zh_Hans --locale en --ignore '.venv/*' --ignore 'tests/*' --no-obsolete
	$(PY) manage.py makemessages --domain djangojs --locale zh_Hans --locale en --ignore '.venv/*' --ignore 'staticfiles/*' --no-obsolete
	$(PY) manage.py compilemessages --ignore '.venv/*'

check-deploy: $(STAMP)
	ALLHANDS_ENV=production SECRET_KEY=$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))') \
	ALLOWED_HOSTS=allhands.example.com $(PY) manage.py check --deploy --fail-level WARNING

clean:
	rm -rf $(VENV) data staticfiles .pytest_cache .ruff_cache

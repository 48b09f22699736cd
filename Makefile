# Two commands a new user needs: `make run` and `make test`. Everything else is optional.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed
# A laptop runs with DEBUG on unless told otherwise; with DEBUG off the app needs a SECRET_KEY.
LAPTOP := DEBUG=$${DEBUG:-1}

.PHONY: run test test-quick bench load install migrate superuser worker beat clean check

$(STAMP): requirements/base.txt requirements/dev.txt
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is needed (set PYTHON=/path/to/python3.11)"; exit 1; }
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements/dev.txt
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(LAPTOP) $(BIN)/python manage.py migrate --noinput
	$(LAPTOP) $(BIN)/python manage.py load_reference_data

superuser: install
	@if [ -n "$$DJANGO_SUPERUSER_USERNAME" ]; then \
	  $(LAPTOP) $(BIN)/python manage.py createsuperuser --noinput 2>/dev/null && echo "Created admin user $$DJANGO_SUPERUSER_USERNAME." || true; \
	fi

run: migrate superuser
	@echo ""
	@echo "  FOI campaign tracker: http://127.0.0.1:$(PORT)/admin/"
	@echo "  Log in with an admin user. To make one:  DEBUG=1 $(BIN)/python manage.py createsuperuser"
	@echo "  (or set DJANGO_SUPERUSER_USERNAME, DJANGO_SUPERUSER_EMAIL and DJANGO_SUPERUSER_PASSWORD before make run)"
	@echo ""
	$(LAPTOP) $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

# makemigrations runs with DEBUG on so that it needs no SECRET_KEY; pytest sets its own (pytest.ini).
# The tests run in one process per core (pytest-xdist; at most 4, each with Redis databases of its
# own: tests/parallel.py). TEST_WORKERS=0 runs them in this process.
TEST_WORKERS ?= auto
PYTEST := $(BIN)/python -m pytest -n $(TEST_WORKERS) --maxprocesses 4
test: install
	DEBUG=1 $(BIN)/python manage.py makemigrations --check --dry-run
	$(PYTEST) $(PYTEST_ARGS)

# The inner loop: every test but the whole journeys (marked slow).
test-quick: install
	$(PYTEST) -m "not slow" $(PYTEST_ARGS)

# Benchmarks run with DEBUG off, as production does: a throwaway key unless SECRET_KEY is set.
bench: install
	SECRET_KEY="$${SECRET_KEY:-bench-$$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')}" $(BIN)/python bench/run_all.py $(BENCH_ARGS)

# Load test on loopback: builds a synthetic history in a separate database (bench/.cache/ or
# DATABASE_URL), serves it with gunicorn, prints req/s, median and p95 per page. LOAD_ARGS="--think 2" ...
load: install
	$(BIN)/python bench/load.py $(LOAD_ARGS)

worker: install
	$(BIN)/celery -A foi_tracker worker --loglevel=INFO

beat: install
	$(BIN)/celery -A foi_tracker beat --loglevel=INFO

check: install
	$(LAPTOP) $(BIN)/python manage.py check

clean:
	rm -rf $(VENV) var db.sqlite3 .pytest_cache

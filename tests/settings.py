"""Test settings: the project's settings with a test pepper and a separate data folder."""

import os

# The tests run as development would, with a key of their own (never a default).
os.environ.setdefault("SECRET_KEY", "test-secret-key-" + "s" * 40)
os.environ.setdefault("DEBUG", "1")

from breachcheck.settings import *  # noqa: F403
from breachcheck.settings import BASE_DIR, DATABASES, REDIS_CACHE_OPTIONS, REDIS_URL

# Under pytest-xdist each test process (gw0, gw1...) has a data folder, database, queue
# and cache prefix of its own, and so have the worker processes it starts: they inherit
# the variable. Without xdist the names are the plain ones.
XDIST_WORKER = os.getenv("PYTEST_XDIST_WORKER", "")
_SUFFIX = f"-{XDIST_WORKER}" if XDIST_WORKER else ""

TEST_DATA_DIR = BASE_DIR / ".data" / "test" / XDIST_WORKER
TEST_DATA_DIR.mkdir(parents=True, exist_ok=True)
BREACHCHECK_PEPPER = "test-pepper-" + "x" * 40
BREACHCHECK_PEPPER_VERSION = 1
BREACHCHECK_OLD_PEPPERS = ""
CELERY_TASK_DEFAULT_QUEUE = f"breachcheck-test{_SUFFIX}"
# A worker started by a test may be pointed at the SMS stub through the environment.
SMS_BACKEND = os.getenv("SMS_BACKEND", "proof.sms.FileBackend")
SMS_FILE_PATH = TEST_DATA_DIR / "sms-outbox.jsonl"
# Alert texts go at any hour in tests (tests/alerts/test_text_schedule.py sets them).
SMS_QUIET_HOURS = os.getenv("SMS_QUIET_HOURS", "")
ALERTS_FERNET_KEY = "dGVzdC1mZXJuZXQta2V5LW5vdC1zZWNyZXQtMzJieXQ="

_db = DATABASES["default"]
if _db["ENGINE"].endswith("sqlite3"):
    # A file, not memory, so a worker process can share the test database.
    _db["TEST"] = {"NAME": str(TEST_DATA_DIR / "test-db.sqlite3")}
else:
    _db["TEST"] = {"NAME": f"test_{_db['NAME']}" + (f"_{XDIST_WORKER}" if XDIST_WORKER else "")}

# The replica's alias as a mirror of the test database; lookups read from it only
# in tests that turn DATABASE_REPLICA_READS on (tests/test_db_router.py).
DATABASES["replica"] = {**_db, "TEST": {"MIRROR": "default"}}
DATABASE_REPLICA_READS = False

# A worker process started by the tests works on the test database directly.
if os.getenv("BREACHCHECK_WORKER_FOR_TESTS"):
    _db["NAME"] = _db["TEST"]["NAME"]

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "breachcheck.redis_cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": f"bc-test{_SUFFIX}",
            "OPTIONS": REDIS_CACHE_OPTIONS,
        }
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(TEST_DATA_DIR / "broker"),
        "data_folder_out": str(TEST_DATA_DIR / "broker"),
        "control_folder": str(TEST_DATA_DIR / "broker-control"),
        # Several test workers share a queue; the default 1 s poll lets one hog it.
        "polling_interval": 0.1,
    }

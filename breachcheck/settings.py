"""Settings for breachcheck, configured from the environment.

Nothing set gives the embedded default: a SQLite file, a local cache and a
Celery worker on a filesystem broker, all under ``.data/``. ``DATABASE_URL``
switches to PostgreSQL and ``REDIS_URL`` to Redis (broker and cache).
"""

import os
from pathlib import Path
from typing import Any

import dj_database_url

from breachcheck.env import envbool, envint, envlist, envsecret

BASE_DIR = Path(__file__).resolve().parent.parent


DATA_DIR = Path(os.getenv("BREACHCHECK_DATA_DIR", BASE_DIR / ".data"))

# Off unless set: `make run` sets DEBUG=1 for the embedded default.
DEBUG = envbool("DEBUG", "False")
# The key also keys rate-limit counters, code hashes and sealed session data,
# so there is no public default: `make run` writes a random one to .data/.
SECRET_KEY = envsecret("SECRET_KEY")
if not SECRET_KEY and (DATA_DIR / "secret-key").exists():
    SECRET_KEY = (DATA_DIR / "secret-key").read_text().strip()
if not SECRET_KEY:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        "Set SECRET_KEY (or SECRET_KEY_FILE); `make run` creates .data/secret-key for you."
    )

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "leaks",
    "imports",
    "proof",
    "web",
    "audit",
    "api",
    "alerts",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "breachcheck.middleware.SecurityHeadersMiddleware",
    # The lean views (the private check's evaluation) are answered here.
    "breachcheck.lean.LeanViewMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Django's, with a failing session store answered as the gate's 503.
    "breachcheck.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "audit.context.AuditActorMiddleware",
    # The limits cannot be counted (Redis down): 503, never an answer (docs/FAIL_SAFE.md).
    "disclosure.middleware.GateClosedMiddleware",
]

ROOT_URLCONF = "breachcheck.urls"
WSGI_APPLICATION = "breachcheck.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "breachcheck.context_processors.site",
            ],
        },
    },
]

if os.getenv("DATABASE_URL"):
    DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=60)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.getenv("SQLITE_PATH", str(DATA_DIR / "db.sqlite3")),
            # The web server and the worker write to the same file.
            "OPTIONS": {
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
            },
        }
    }
# Lookups may read from a replica; writes and everything else stay on default
# (breachcheck/db_router.py). A replica that does not answer (within 2 s unless the
# URL says ?connect_timeout=N), or replays more than DATABASE_REPLICA_MAX_LAG_SECONDS
# behind, is left out and lookups read the primary; its state is probed at most
# once every DATABASE_REPLICA_CHECK_SECONDS per process (breachcheck/replica.py).
if os.getenv("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = dj_database_url.parse(
        os.environ["DATABASE_REPLICA_URL"], conn_max_age=60
    )
    if "postgresql" in DATABASES["replica"]["ENGINE"]:
        DATABASES["replica"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 2)
DATABASE_REPLICA_READS = "replica" in DATABASES
DATABASE_REPLICA_MAX_LAG_SECONDS = envint("DATABASE_REPLICA_MAX_LAG_SECONDS", "30")
DATABASE_REPLICA_CHECK_SECONDS = envint("DATABASE_REPLICA_CHECK_SECONDS", "5")
DATABASE_ROUTERS = ["breachcheck.db_router.LookupReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.getenv("REDIS_URL", "")
# Sessions live in Redis when there is one (Redis must not evict them:
# docs/SCALING.md, "Check path"), else in the database (saved without waiting
# for the disk: breachcheck/sessions.py); SESSION_ENGINE chooses otherwise.
_SESSIONS = "breachcheck.cache_sessions" if REDIS_URL else "breachcheck.sessions"
SESSION_ENGINE = os.getenv("SESSION_ENGINE", _SESSIONS)
# A stopped or hung Redis must fail a request within about this many seconds
# (connect and each read), not hang it: the gate then refuses (docs/FAIL_SAFE.md).
REDIS_TIMEOUT_SECONDS = float(os.getenv("REDIS_TIMEOUT_SECONDS", "1"))
REDIS_CACHE_OPTIONS = {
    "socket_connect_timeout": REDIS_TIMEOUT_SECONDS,
    "socket_timeout": REDIS_TIMEOUT_SECONDS,
}
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "breachcheck.redis_cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.getenv("CACHE_KEY_PREFIX", "bc"),
            "OPTIONS": REDIS_CACHE_OPTIONS,
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Celery: Redis in production; a filesystem broker for the embedded default,
# so `make run` needs no server. Task arguments are ids, never phone numbers.
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, Any] = {"visibility_timeout": 3600}
else:
    BROKER_DIR = DATA_DIR / "broker"
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "control_folder": str(BROKER_DIR / "control"),
    }
CELERY_TASK_DEFAULT_QUEUE = os.getenv("CELERY_QUEUE", "breachcheck")
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = envbool("CELERY_TASK_ALWAYS_EAGER", "False")
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.getenv("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.getenv("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Production hardening, all driven by DEBUG unless set explicitly.
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", str(not DEBUG))
SESSION_COOKIE_SECURE = envbool("SESSION_COOKIE_SECURE", str(not DEBUG))
CSRF_COOKIE_SECURE = envbool("CSRF_COOKIE_SECURE", str(not DEBUG))
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000")
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", str(not DEBUG))
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", str(not DEBUG))
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# No inline script, no script or style from elsewhere, no framing, forms post
# only here (breachcheck/middleware.py sets these headers).
CONTENT_SECURITY_POLICY = os.getenv(
    "CONTENT_SECURITY_POLICY",
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
)
PERMISSIONS_POLICY = os.getenv(
    "PERMISSIONS_POLICY", "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
)
if envbool("USE_X_FORWARDED_PROTO", "False"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# The site's name beside its Chinese name: in the header, page titles, the
# sender of emails and the signature of texts (which carriers in China require
# to be registered, usually in Chinese).
SITE_NAME = os.getenv("SITE_NAME", "breachcheck")
SITE_NAME_ZH = os.getenv("SITE_NAME_ZH", "泄露查")
# Who runs the site (the about page), and the ICP filing number (备案号) that a
# site hosted in mainland China must show in its footer.
OPERATOR_NAME = os.getenv("OPERATOR_NAME", "")
OPERATOR_CONTACT = os.getenv("OPERATOR_CONTACT", "")
ICP_FILING = os.getenv("ICP_FILING", "")
# Styled 403 page for a failed form-forgery check.
CSRF_FAILURE_VIEW = "breachcheck.error_views.csrf_failure"

# Phone numbers.
PHONE_DEFAULT_REGION = os.getenv("PHONE_DEFAULT_REGION", "CN")

# The pepper: the secret key of the phone-number hash. It never lives in the
# database; the embedded default keeps it in a git-ignored file that
# `make run` creates. Old peppers ("2:secret,1:older") keep rotated rows findable.
BREACHCHECK_PEPPER = envsecret("BREACHCHECK_PEPPER")
BREACHCHECK_PEPPER_DEFAULT_FILE = DATA_DIR / "pepper"
BREACHCHECK_PEPPER_VERSION = envint("BREACHCHECK_PEPPER_VERSION", "1")
BREACHCHECK_OLD_PEPPERS = envsecret("BREACHCHECK_OLD_PEPPERS")

# The disclosure gate (disclosure/policy.py). Rates use django-ratelimit's
# syntax ("20/h", "10/15m"); empty turns a layer off. A host is an IPv4
# address or an IPv6 /64; networks are IPv4 /24 and IPv6 /56 and /48.
RATELIMIT_ENABLE = envbool("RATELIMIT_ENABLE", "True")
IPV4_NETWORK_PREFIXES = os.getenv("IPV4_NETWORK_PREFIXES", "24")
IPV6_HOST_PREFIX = envint("IPV6_HOST_PREFIX", "64")
IPV6_NETWORK_PREFIXES = os.getenv("IPV6_NETWORK_PREFIXES", "56,48")
# Checks: past the host and network rates a visitor must solve a proof-of-work;
# the per-number budget is hard and shared by the web, the API and the proof flow.
RATELIMIT_CHECK_PER_IP = os.getenv("RATELIMIT_CHECK_PER_IP", "20/h")
RATELIMIT_CHECK_PER_NETWORK = os.getenv("RATELIMIT_CHECK_PER_NETWORK", "60/h")
RATELIMIT_CHECK_PER_NUMBER = os.getenv("RATELIMIT_CHECK_PER_NUMBER", "12/h")
# Private-check evaluations name only a 16-bit bucket; each bucket has a budget too.
RATELIMIT_CHECK_PER_BUCKET = os.getenv("RATELIMIT_CHECK_PER_BUCKET", "600/h")
# No global admin-login budget: it would let anyone lock every admin out.
RATELIMIT_ADMIN_LOGIN_PER_IP = os.getenv("RATELIMIT_ADMIN_LOGIN_PER_IP", "10/15m")
RATELIMIT_ADMIN_LOGIN_PER_USERNAME_NETWORK = os.getenv(
    "RATELIMIT_ADMIN_LOGIN_PER_USERNAME_NETWORK", "10/15m"
)
# Proxies whose X-Forwarded-For is believed (CIDRs, e.g. "10.0.0.0/8,127.0.0.1").
# Empty: the header is ignored and REMOTE_ADDR is the client.
TRUSTED_PROXIES = envlist("TRUSTED_PROXIES")
# API lookups: each key's own rate (never above the ceiling), a global budget.
API_KEY_DEFAULT_RATE = os.getenv("API_KEY_DEFAULT_RATE", "60/m")
API_KEY_MAX_RATE = os.getenv("API_KEY_MAX_RATE", "600/m")
RATELIMIT_API_GLOBAL = os.getenv("RATELIMIT_API_GLOBAL", "100000/h")
# How long a result stays viewable (Back, reload, language switch) after a check.
SESSION_RESULT_TTL_SECONDS = envint("SESSION_RESULT_TTL_SECONDS", "900")

# Proof-of-work (ALTCHA, PoW v2, self-hosted; disclosure/pow.py and pressure.py).
# Challenges are signed with POW_HMAC_KEY, else a key derived from SECRET_KEY.
# A challenge asks for one PBKDF2-SHA256 derivation of POW_COST iterations per
# try and a secret counter between difficulty/2 and difficulty, so a solve costs
# about 0.75 x difficulty derivations. Difficulty is POW_MIN_DIFFICULTY while the
# site sees at most POW_CALM_CHECKS_PER_MINUTE anonymous checks a minute, and
# grows in proportion to the rate above that, up to POW_MAX_DIFFICULTY.
POW_HMAC_KEY = envsecret("POW_HMAC_KEY")
POW_CHALLENGE_TTL = envint("POW_CHALLENGE_TTL", "300")
POW_COST = envint("POW_COST", "1000")
POW_MIN_DIFFICULTY = envint("POW_MIN_DIFFICULTY", "200")
POW_MAX_DIFFICULTY = envint("POW_MAX_DIFFICULTY", "20000")
POW_CALM_CHECKS_PER_MINUTE = envint("POW_CALM_CHECKS_PER_MINUTE", "60")

# Proof of ownership: a code sent by SMS. Every text costs money and can
# harass the number's holder, so sending is limited on several axes.
OWNERSHIP_CODE_TTL_SECONDS = envint("OWNERSHIP_CODE_TTL_SECONDS", "600")
OWNERSHIP_CODE_MAX_ATTEMPTS = envint("OWNERSHIP_CODE_MAX_ATTEMPTS", "5")
# A proof lasts until the browser closes, and never longer than this.
OWNERSHIP_PROOF_TTL_SECONDS = envint("OWNERSHIP_PROOF_TTL_SECONDS", "3600")
# At most one code per number per window, whoever asks.
RATELIMIT_SMS_PER_NUMBER = os.getenv("RATELIMIT_SMS_PER_NUMBER", "1/5m")
RATELIMIT_SMS_PER_NUMBER_DAILY = os.getenv("RATELIMIT_SMS_PER_NUMBER_DAILY", "6/d")
RATELIMIT_SMS_PER_IP = os.getenv("RATELIMIT_SMS_PER_IP", "5/h")
RATELIMIT_SMS_PER_NETWORK = os.getenv("RATELIMIT_SMS_PER_NETWORK", "20/h")
RATELIMIT_SMS_GLOBAL = os.getenv("RATELIMIT_SMS_GLOBAL", "500/h")
RATELIMIT_CODE_PER_IP = os.getenv("RATELIMIT_CODE_PER_IP", "30/h")
# Code attempts are also capped per code (OWNERSHIP_CODE_MAX_ATTEMPTS).
# Operator switch: show no result at all (hit or miss) before the number is proven.
RESULTS_REQUIRE_PROOF = envbool("RESULTS_REQUIRE_PROOF", "False")
# The private check's answer: a bucket's real entries and its padding, at least
# this many entries and at most twice as many, derived (keyed) from the bucket and
# the key version alone, so every answer for a bucket carries the same padding.
PRIVATE_CHECK_ENTRIES = envint("PRIVATE_CHECK_ENTRIES", "256")
# Each web process keeps the encoded answers of recently asked buckets, up to this
# many megabytes (least recently used first out; 0: none).
PRIVATE_CHECK_CACHE_MB = envint("PRIVATE_CHECK_CACHE_MB", "64")
# Install-time only: how many leading bits of SHA-256(E.164) name a number's bucket
# in its stored key (16 to 22; the rest, 48 to 42 bits, is OPRF output). Changing it
# on a database with exposures makes every stored key unmatchable (docs/SCALING.md).
PHONE_KEY_BUCKET_BITS = envint("PHONE_KEY_BUCKET_BITS", "16")

# SMS: proof.sms.ConsoleBackend (prints), FileBackend (tests) or TwilioBackend.
SMS_BACKEND = os.getenv("SMS_BACKEND", "proof.sms.ConsoleBackend")
SMS_SENDER_NAME = os.getenv("SMS_SENDER_NAME", SITE_NAME_ZH)
# The registered signature, without its brackets (mainland providers add them).
SMS_SIGN_NAME = os.getenv("SMS_SIGN_NAME", SMS_SENDER_NAME)
# Numbers outside +86 may go through another backend.
SMS_BACKEND_INTERNATIONAL = os.getenv("SMS_BACKEND_INTERNATIONAL", "")
# The provider's own cap of texts per number per Asia/Shanghai day, as set in its
# console: codes and alerts share it, and an alert never takes the last one.
SMS_PROVIDER_DAILY_LIMIT = envint("SMS_PROVIDER_DAILY_LIMIT", "10")
# No alert text in these hours of the Asia/Shanghai clock ("22-8", "22:30-7:30";
# empty for none): texts wait for their end. A bad value stops the site at startup.
SMS_QUIET_HOURS = os.getenv("SMS_QUIET_HOURS", "22-8")
# Delivery receipts (alerts/receipts.py) arrive at /sms/receipts/<provider>/<token>/:
# an unguessable token (empty: the endpoints answer 404), and optionally only from
# these networks (CIDRs, the provider's published callback addresses).
SMS_RECEIPT_TOKEN = envsecret("SMS_RECEIPT_TOKEN")
SMS_RECEIPT_ALLOWED_NETWORKS = envlist("SMS_RECEIPT_ALLOWED_NETWORKS")
# Tencent Cloud (proof.sms.TencentBackend) and Alibaba Cloud (proof.sms.AliyunBackend):
# the API key pair, Tencent's SmsSdkAppId, the approved templates' ids (the code's
# one parameter is the 6 digits; the alert's are the count and the masked number),
# Tencent's region, and the API's URL (default the provider's public endpoint;
# plain http only on the loopback, for a local stand-in). docs/SMS.md.
SMS_ACCESS_KEY_ID = envsecret("SMS_ACCESS_KEY_ID")
SMS_ACCESS_KEY_SECRET = envsecret("SMS_ACCESS_KEY_SECRET")
SMS_APP_ID = os.getenv("SMS_APP_ID", "")
SMS_TEMPLATE_CODE = os.getenv("SMS_TEMPLATE_CODE", "")
SMS_TEMPLATE_ALERT = os.getenv("SMS_TEMPLATE_ALERT", "")
SMS_REGION = os.getenv("SMS_REGION", "ap-guangzhou")
SMS_ENDPOINT = os.getenv("SMS_ENDPOINT", "")
SMS_FROM = os.getenv("SMS_FROM", "")
SMS_API_BASE_URL = os.getenv("SMS_API_BASE_URL", "https://api.twilio.com")
SMS_ACCOUNT_SID = os.getenv("SMS_ACCOUNT_SID", "")
SMS_AUTH_TOKEN = envsecret("SMS_AUTH_TOKEN")
SMS_TIMEOUT = envint("SMS_TIMEOUT", "10")
SMS_FILE_PATH = Path(os.getenv("SMS_FILE_PATH", DATA_DIR / "sms-outbox.jsonl"))

# Imports.
IMPORT_BATCH_SIZE = envint("IMPORT_BATCH_SIZE", "20000")

# The site's public address, for links in emails and texts sent by workers.
SITE_URL = os.getenv("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# Email: SMTP when EMAIL_HOST is set, else printed to the console (embedded default),
# recipients and numbers redacted as in the logs.
EMAIL_HOST = os.getenv("EMAIL_HOST", "")
EMAIL_BACKEND = os.getenv(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "breachcheck.reporting.ConsoleEmailBackend",
)
EMAIL_PORT = envint("EMAIL_PORT", "587")
EMAIL_HOST_USER = os.getenv("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = envsecret("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", "True" if EMAIL_HOST_USER else "False")
EMAIL_USE_SSL = envbool("EMAIL_USE_SSL", "False")
EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", "20")
DEFAULT_FROM_EMAIL = os.getenv(
    "DEFAULT_FROM_EMAIL", f"{SITE_NAME_ZH} {SITE_NAME} <alerts@localhost>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Alerts. Subscribers' contacts are encrypted with Fernet under this key
# ("new,old" keeps old rows readable); the embedded default keeps it in a
# git-ignored file that `make run` creates, like the pepper.
ALERTS_FERNET_KEY = envsecret("ALERTS_FERNET_KEY")
ALERTS_FERNET_KEY_DEFAULT_FILE = DATA_DIR / "alerts-key"
ALERTS_CONFIRM_MAX_AGE = envint("ALERTS_CONFIRM_MAX_AGE", str(2 * 24 * 3600))
ALERTS_MANAGE_LINK_MAX_AGE = envint("ALERTS_MANAGE_LINK_MAX_AGE", str(90 * 24 * 3600))
RATELIMIT_SUBSCRIBE_PER_IP = os.getenv("RATELIMIT_SUBSCRIBE_PER_IP", "10/h")
RATELIMIT_SUBSCRIBE_PER_NETWORK = os.getenv("RATELIMIT_SUBSCRIBE_PER_NETWORK", "30/h")
RATELIMIT_CONFIRM_EMAIL_PER_ADDRESS = os.getenv("RATELIMIT_CONFIRM_EMAIL_PER_ADDRESS", "3/h")
RATELIMIT_CONFIRM_EMAIL_GLOBAL = os.getenv("RATELIMIT_CONFIRM_EMAIL_GLOBAL", "500/h")
# Sending: each run of the send task claims at most a batch; the rates cap what
# all workers together send per channel (django-ratelimit syntax).
ALERTS_BATCH_SIZE = envint("ALERTS_BATCH_SIZE", "50")
ALERTS_EMAIL_RATE = os.getenv("ALERTS_EMAIL_RATE", "120/m")
ALERTS_SMS_RATE = os.getenv("ALERTS_SMS_RATE", "30/m")
# A text alert waits this long after its import finishes, so breaches finishing
# together share one text (a number gets one alert text a day: alerts/schedule.py).
ALERTS_SMS_GATHER_SECONDS = envint("ALERTS_SMS_GATHER_SECONDS", "60")
ALERTS_MAX_ATTEMPTS = envint("ALERTS_MAX_ATTEMPTS", "8")
ALERTS_RETRY_BACKOFF_SECONDS = envint("ALERTS_RETRY_BACKOFF_SECONDS", "60")
ALERTS_RETRY_BACKOFF_MAX_SECONDS = envint("ALERTS_RETRY_BACKOFF_MAX_SECONDS", "21600")
# A claimed send not finished by then is taken as lost with its worker and sent again.
ALERTS_SENDING_LEASE_SECONDS = envint("ALERTS_SENDING_LEASE_SECONDS", "600")
ALERTS_SWEEP_SECONDS = envint("ALERTS_SWEEP_SECONDS", "300")
CELERY_BEAT_SCHEDULE = {
    "alerts-sweep": {"task": "alerts.tasks.alerts_sweep", "schedule": ALERTS_SWEEP_SECONDS},
    "expired-data-clear": {"task": "breachcheck.tasks.expired_data_clear", "schedule": 3600},
    "imports-resume": {"task": "imports.tasks.imports_resume", "schedule": 300},
}

# Error reports and logs never show a phone number (breachcheck/reporting.py).
DEFAULT_EXCEPTION_REPORTER = "breachcheck.reporting.PrivateExceptionReporter"
DEFAULT_EXCEPTION_REPORTER_FILTER = "breachcheck.reporting.PrivateExceptionReporterFilter"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_numbers": {"()": "breachcheck.reporting.RedactNumbersFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact_numbers"],
        }
    },
    "root": {"handlers": ["console"], "level": os.getenv("LOG_LEVEL", "INFO")},
    # Django's own console handler (DEBUG only) would print without the filter.
    "loggers": {
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # The SMS SDKs log whole requests (the number, the code) at DEBUG.
        "tencentcloud_sdk_common": {"level": "WARNING"},
        "alibabacloud-tea": {"level": "WARNING"},
        "darabonba-core": {"level": "WARNING"},
    },
}
# Hostile-dump limits: the longest line (or SQL value, JSON record) in bytes,
# the most a compressed dump may unpack to, and the largest packed:unpacked
# ratio tolerated once IMPORT_RATIO_AFTER bytes have come out.
IMPORT_MAX_LINE = envint("IMPORT_MAX_LINE", str(1024 * 1024))
IMPORT_MAX_UNPACKED_BYTES = envint("IMPORT_MAX_UNPACKED_BYTES", str(64 * 2**30))
IMPORT_MAX_RATIO = envint("IMPORT_MAX_RATIO", "200")
IMPORT_RATIO_AFTER = envint("IMPORT_RATIO_AFTER", str(16 * 2**20))
# Every reader is bounded by the text it produces: a row by IMPORT_MAX_LINE, the
# rows a plan samples by IMPORT_MAX_SAMPLE_BYTES, and the different fields (JSON
# keys, SQL tables) those rows may name by IMPORT_MAX_FIELDS.
IMPORT_MAX_SAMPLE_BYTES = envint("IMPORT_MAX_SAMPLE_BYTES", str(16 * 2**20))
IMPORT_MAX_FIELDS = envint("IMPORT_MAX_FIELDS", "2000")
# A plan or chunk started this many times without finishing (its worker was
# killed: out of memory, stopped) fails the job instead of being started again.
IMPORT_MAX_ATTEMPTS = envint("IMPORT_MAX_ATTEMPTS", "2")
# Line-format dumps larger than this are split into byte ranges, one Celery
# task each, so several workers share one import.
IMPORT_CHUNK_BYTES = envint("IMPORT_CHUNK_BYTES", str(8 * 2**20))
# A worker that has not reported progress on a chunk for this long is presumed
# dead; `manage.py import_resume` hands its chunk to another worker.
IMPORT_STALL_SECONDS = envint("IMPORT_STALL_SECONDS", "300")
# A failed upload's file is kept this long for a retry with other options.
IMPORT_FAILED_FILE_HOURS = envint("IMPORT_FAILED_FILE_HOURS", "72")
# PostgreSQL: leaks_exposure is split into this many partitions by range of
# phone_key (read when migration 0009 runs), and an import's merge into this
# many parts, one Celery task each (a divisor of the partitions: imports/merge.py).
EXPOSURE_PARTITIONS = envint("EXPOSURE_PARTITIONS", "16")
IMPORT_MERGE_PARTS = envint("IMPORT_MERGE_PARTS", "4")
UPLOAD_DIR = Path(os.getenv("UPLOAD_DIR", DATA_DIR / "uploads"))
FILE_UPLOAD_TEMP_DIR = os.getenv("FILE_UPLOAD_TEMP_DIR") or None
# Uploads always stream to a temporary file, never into memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 0

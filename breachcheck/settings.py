"""Settings for breachcheck, configured from the environment.

Nothing set gives the embedded default: a SQLite file, a local cache and a
Celery worker on a filesystem broker, all under ``.data/``. ``DATABASE_URL``
switches to PostgreSQL and ``REDIS_URL`` to Redis (broker and cache).
"""

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name: str, default: str) -> bool:
    return os.getenv(name, default).lower() in ("1", "true", "yes", "on")


def envint(name: str, default: str) -> int:
    return int(os.getenv(name, default))


def envlist(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.getenv(name, default).split(",") if item.strip()]


def envsecret(name: str, default: str = "") -> str:
    """Read NAME, or the file named by NAME_FILE (Docker and systemd secrets)."""
    if os.getenv(name):
        return os.environ[name]
    path = os.getenv(f"{name}_FILE")
    if path:
        return Path(path).read_text().strip()
    return default


DATA_DIR = Path(os.getenv("BREACHCHECK_DATA_DIR", BASE_DIR / ".data"))

DEBUG = envbool("DEBUG", "True")
SECRET_KEY = envsecret("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("Set SECRET_KEY (or SECRET_KEY_FILE) when DEBUG is off.")
    SECRET_KEY = "embedded-default-insecure-key-do-not-use-in-production"  # noqa: S105

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
    "audit",
    "api",
    "alerts",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "breachcheck.middleware.SecurityHeadersMiddleware",
    "audit.context.AuditActorMiddleware",
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
            "NAME": os.getenv("SQLITE_PATH", DATA_DIR / "db.sqlite3"),
            # The web server and the worker write to the same file.
            "OPTIONS": {
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.getenv("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.getenv("CACHE_KEY_PREFIX", "bc"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Celery: Redis in production; a filesystem broker for the embedded default,
# so `make run` needs no server. Task arguments are ids, never phone numbers.
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
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

# Phone numbers.
PHONE_DEFAULT_REGION = os.getenv("PHONE_DEFAULT_REGION", "CN")

# The pepper: the secret key of the phone-number hash. It never lives in the
# database; the embedded default keeps it in a git-ignored file that
# `make run` creates. Old peppers ("2:secret,1:older") keep rotated rows findable.
BREACHCHECK_PEPPER = envsecret("BREACHCHECK_PEPPER")
BREACHCHECK_PEPPER_DEFAULT_FILE = DATA_DIR / "pepper"
BREACHCHECK_PEPPER_VERSION = envint("BREACHCHECK_PEPPER_VERSION", "1")
BREACHCHECK_OLD_PEPPERS = envsecret("BREACHCHECK_OLD_PEPPERS")

# Rate limits (django-ratelimit syntax: "20/h", "10/15m"; empty turns a layer
# off). Layers: per client IP, per IPv4 /24 or IPv6 /64, per number (or admin
# username), and a global budget. See leaks/ratelimits.py.
RATELIMIT_ENABLE = envbool("RATELIMIT_ENABLE", "True")
RATELIMIT_CHECK_PER_IP = os.getenv("RATELIMIT_CHECK_PER_IP", "20/h")
RATELIMIT_CHECK_PER_NETWORK = os.getenv("RATELIMIT_CHECK_PER_NETWORK", "60/h")
RATELIMIT_CHECK_PER_NUMBER = os.getenv("RATELIMIT_CHECK_PER_NUMBER", "12/h")
RATELIMIT_CHECK_GLOBAL = os.getenv("RATELIMIT_CHECK_GLOBAL", "5000/h")
# Subscriptions: see the alerts section below.
# No global admin-login budget: it would let anyone lock every admin out.
RATELIMIT_ADMIN_LOGIN_PER_IP = os.getenv("RATELIMIT_ADMIN_LOGIN_PER_IP", "10/15m")
RATELIMIT_ADMIN_LOGIN_PER_NETWORK = os.getenv("RATELIMIT_ADMIN_LOGIN_PER_NETWORK", "30/15m")
RATELIMIT_ADMIN_LOGIN_PER_USERNAME = os.getenv("RATELIMIT_ADMIN_LOGIN_PER_USERNAME", "10/15m")
RATELIMIT_ADMIN_LOGIN_GLOBAL = os.getenv("RATELIMIT_ADMIN_LOGIN_GLOBAL", "")
# Proxies whose X-Forwarded-For is believed (CIDRs, e.g. "10.0.0.0/8,127.0.0.1").
# Empty: the header is ignored and REMOTE_ADDR is the client.
TRUSTED_PROXIES = envlist("TRUSTED_PROXIES")
# Lookups per API key, unless the key sets its own.
API_KEY_DEFAULT_RATE = os.getenv("API_KEY_DEFAULT_RATE", "60/m")

# Proof of ownership: a code sent by SMS. Every text costs money and can
# harass the number's holder, so sending is limited on several axes.
OWNERSHIP_CODE_TTL_SECONDS = envint("OWNERSHIP_CODE_TTL_SECONDS", "600")
OWNERSHIP_CODE_MAX_ATTEMPTS = envint("OWNERSHIP_CODE_MAX_ATTEMPTS", "5")
# A proof lasts until the browser closes, and never longer than this.
OWNERSHIP_PROOF_TTL_SECONDS = envint("OWNERSHIP_PROOF_TTL_SECONDS", "3600")
RATELIMIT_SMS_PER_NUMBER = os.getenv("RATELIMIT_SMS_PER_NUMBER", "3/h")
RATELIMIT_SMS_PER_IP = os.getenv("RATELIMIT_SMS_PER_IP", "5/h")
RATELIMIT_SMS_PER_NETWORK = os.getenv("RATELIMIT_SMS_PER_NETWORK", "20/h")
RATELIMIT_SMS_GLOBAL = os.getenv("RATELIMIT_SMS_GLOBAL", "500/h")
RATELIMIT_CODE_PER_IP = os.getenv("RATELIMIT_CODE_PER_IP", "30/h")
# Code attempts are also capped per code (OWNERSHIP_CODE_MAX_ATTEMPTS).
# Operator switch: show no result at all (hit or miss) before the number is proven.
RESULTS_REQUIRE_PROOF = envbool("RESULTS_REQUIRE_PROOF", "False")

# SMS: leaks.sms.ConsoleBackend (prints), FileBackend (tests) or TwilioBackend.
SMS_BACKEND = os.getenv("SMS_BACKEND", "leaks.sms.ConsoleBackend")
SMS_SENDER_NAME = os.getenv("SMS_SENDER_NAME", "breachcheck")
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

# Email: SMTP when EMAIL_HOST is set, else printed to the console (embedded default).
EMAIL_HOST = os.getenv("EMAIL_HOST", "")
EMAIL_BACKEND = os.getenv(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_PORT = envint("EMAIL_PORT", "587")
EMAIL_HOST_USER = os.getenv("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = envsecret("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", "True" if EMAIL_HOST_USER else "False")
EMAIL_USE_SSL = envbool("EMAIL_USE_SSL", "False")
EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", "20")
DEFAULT_FROM_EMAIL = os.getenv("DEFAULT_FROM_EMAIL", "breachcheck <alerts@localhost>")
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
ALERTS_MAX_ATTEMPTS = envint("ALERTS_MAX_ATTEMPTS", "8")
ALERTS_RETRY_BACKOFF_SECONDS = envint("ALERTS_RETRY_BACKOFF_SECONDS", "60")
ALERTS_RETRY_BACKOFF_MAX_SECONDS = envint("ALERTS_RETRY_BACKOFF_MAX_SECONDS", "21600")
# A claimed send not finished by then is taken as lost with its worker and sent again.
ALERTS_SENDING_LEASE_SECONDS = envint("ALERTS_SENDING_LEASE_SECONDS", "600")
ALERTS_SWEEP_SECONDS = envint("ALERTS_SWEEP_SECONDS", "300")
CELERY_BEAT_SCHEDULE = {
    "alerts-sweep": {"task": "alerts.tasks.alerts_sweep", "schedule": ALERTS_SWEEP_SECONDS},
    "expired-data-clear": {"task": "leaks.tasks.expired_data_clear", "schedule": 3600},
    "imports-resume": {"task": "leaks.tasks.imports_resume", "schedule": 300},
}

# Error reports and logs never show a phone number (leaks/reporting.py).
DEFAULT_EXCEPTION_REPORTER = "leaks.reporting.PrivateExceptionReporter"
DEFAULT_EXCEPTION_REPORTER_FILTER = "leaks.reporting.PrivateExceptionReporterFilter"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_numbers": {"()": "leaks.reporting.RedactNumbersFilter"}},
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
    "loggers": {"django": {"handlers": ["console"], "level": "INFO", "propagate": False}},
}
# Hostile-dump limits: the longest line (or SQL value, JSON record) in bytes,
# the most a compressed dump may unpack to, and the largest packed:unpacked
# ratio tolerated once IMPORT_RATIO_AFTER bytes have come out.
IMPORT_MAX_LINE = envint("IMPORT_MAX_LINE", str(1024 * 1024))
IMPORT_MAX_UNPACKED_BYTES = envint("IMPORT_MAX_UNPACKED_BYTES", str(64 * 2**30))
IMPORT_MAX_RATIO = envint("IMPORT_MAX_RATIO", "200")
IMPORT_RATIO_AFTER = envint("IMPORT_RATIO_AFTER", str(16 * 2**20))
# Line-format dumps larger than this are split into byte ranges, one Celery
# task each, so several workers share one import.
IMPORT_CHUNK_BYTES = envint("IMPORT_CHUNK_BYTES", str(8 * 2**20))
# A worker that has not reported progress on a chunk for this long is presumed
# dead; `manage.py import_resume` hands its chunk to another worker.
IMPORT_STALL_SECONDS = envint("IMPORT_STALL_SECONDS", "300")
# A failed upload's file is kept this long for a retry with other options.
IMPORT_FAILED_FILE_HOURS = envint("IMPORT_FAILED_FILE_HOURS", "72")
UPLOAD_DIR = Path(os.getenv("UPLOAD_DIR", DATA_DIR / "uploads"))
FILE_UPLOAD_TEMP_DIR = os.getenv("FILE_UPLOAD_TEMP_DIR") or None
# Uploads always stream to a temporary file, never into memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 0

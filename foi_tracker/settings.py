"""Settings, read once from the environment (django-environ names).

With nothing set the app runs embedded: SQLite, Celery tasks in-process, mail written to
files under var/mail. Set DATABASE_URL, REDIS_URL and EMAIL_URL for PostgreSQL, a Redis
broker with a real worker and beat, and SMTP.
"""
import datetime as dt
import urllib.parse
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)
# Sessions and CSRF tokens are signed with SECRET_KEY: a key printed here would let anyone
# forge them. So with DEBUG off the app refuses to start without one (the tests set their own
# in pytest.ini); the embedded key is for DEBUG on a laptop only.
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it to a long random string (python3 -c 'import secrets; "
            "print(secrets.token_urlsafe(50))'), or set DEBUG=1 on a laptop. With DEBUG off the app will not "
            "run on a built-in key.")
    SECRET_KEY = "django-insecure-embedded-key-set-SECRET_KEY-in-production"
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # django.contrib.admin with the tracker's site (stream "workspace"). It does not discover the
    # admin modules at start: urls.py does, so the web server and tests load them, and a command
    # or a worker starts without them.
    "foi_tracker.admin_site.TrackerAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "import_export",
    "django_celery_beat",
    "foi_tracker.apps.LoginLockoutsConfig",  # django-axes
    "csp",
    "collection",
    "reports",
]
# django-import-export's admin module loads openpyxl, odfpy and the rest of its formats: with
# SimpleAdminConfig it is imported with the URLconf, not by every command and worker.

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into its refusal.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "foi_tracker.urls"
WSGI_APPLICATION = "foi_tracker.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"].setdefault("ATOMIC_REQUESTS", False)
# CONN_MAX_AGE=60 in production keeps a connection per worker thread instead of opening one
# per request (PostgreSQL forks a backend for each); checked before reuse.
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several threads (live server, in-process tasks) share the file: wait rather than fail.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("timeout", 20)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "admin:login"
# Where a log-in lands when its `next` is missing or unsafe (another host): the admin's home.
LOGIN_REDIRECT_URL = "admin:index"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=VAR_DIR / "static")
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Returned files live here, outside the static root, and are only served through a view
# that checks permissions.
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
MEDIA_URL = "/media/"

# --- Mail -------------------------------------------------------------------------------
if "EMAIL_URL" in env:
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = env.path("EMAIL_FILE_PATH", default=VAR_DIR / "mail")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="foi-research@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Links in emails point here.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

# --- Celery -----------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
else:
    # Embedded: no broker, tasks run in the calling process.
    CELERY_BROKER_URL = "memory://"
    CELERY_RESULT_BACKEND = "cache+memory://"
    CELERY_TASK_ALWAYS_EAGER = True
    CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Workers are started with `-Q default`; tasks without a route go there.
CELERY_TASK_DEFAULT_QUEUE = "default"
# An e-mail (request, chaser, digest) claimed by a run that then died is retried by a later run
# once this has passed. A live run renews its claim while the mail server is busy, so a slow
# server never lets a second run send the same e-mail; a retry of a run that found a claim
# still held is scheduled after this.
FOI_REMINDER_LEASE_SECONDS = env.int("FOI_REMINDER_LEASE_SECONDS", default=30)
# Every queued job (a preview, a confirm, a send, the digest, a chaser, a mail fetch) holds a lease
# in the database (collection/jobs/) that its run renews every quarter of this; the sweeper, run
# by beat every minute, queues again any job whose lease ran out (its worker died).
FOI_JOB_LEASE_SECONDS = env.int("FOI_JOB_LEASE_SECONDS", default=30)
# A page that queues a job hears within seconds when the broker is down (no publish retry): the
# job waits in the database and the sweeper queues it once the broker answers.
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 2
CELERY_REDIS_SOCKET_TIMEOUT = 5
CELERY_REDIS_BACKEND_HEALTH_CHECK_INTERVAL = 10
# A message a dead worker held comes back once this passes. The sweeper, not this, brings back the
# work of a dead worker (at the end of its lease); this is set just past the longest wait a worker
# holds a message for: the longest lease, or a failed send's last retry countdown (180 minutes,
# sending.claims.RETRY_MINUTES), which a shorter timeout would hand to a second worker, and again,
# multiplying the retries.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": max(FOI_JOB_LEASE_SECONDS, FOI_REMINDER_LEASE_SECONDS,
                              env.int("FOI_MAIL_LEASE_SECONDS", default=900), 180 * 60) + 60,
    "socket_connect_timeout": 2, "socket_timeout": 5}
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"retry_policy": {"max_retries": 0, "timeout": 2}}

# --- Sessions and the default cache ---------------------------------------------------------
# Django's sessions. With Redis, the `cached_db` engine: a page reads its session from the default
# cache, and a session is written to the database as well, so a restarted Redis logs nobody out.
# The default cache is then Django's Redis cache on the broker's server, in the database numbered
# one after the broker's (redis://host:6379/0 -> /1): never the broker's own. Without Redis, the
# `db` engine.
if REDIS_URL:
    _broker = urllib.parse.urlsplit(REDIS_URL)
    _cache_database = int(_broker.path.strip("/") or 0) + 1
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": _broker._replace(path=f"/{_cache_database}").geturl()}}
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    SESSION_ENGINE = "django.contrib.sessions.backends.db"

# --- The FOI clock ----------------------------------------------------------------------
# "statute": a request received on a weekend or holiday counts from that day (FOIA s.10);
# "next_working_day": count from the next working day, as some authorities do.
FOI_WEEKEND_RECEIPT_RULE = env.str("FOI_WEEKEND_RECEIPT_RULE", default="statute")

# --- Returned files ---------------------------------------------------------------------
FOI_IMPORT_MAX_FILE_BYTES = env.int("FOI_IMPORT_MAX_FILE_BYTES", default=25 * 1024 * 1024)
FOI_IMPORT_MAX_UNCOMPRESSED_BYTES = env.int("FOI_IMPORT_MAX_UNCOMPRESSED_BYTES", default=250 * 1024 * 1024)
FOI_IMPORT_MAX_COMPRESSION_RATIO = env.float("FOI_IMPORT_MAX_COMPRESSION_RATIO", default=100.0)
FOI_IMPORT_MAX_ROWS = env.int("FOI_IMPORT_MAX_ROWS", default=1_000_000)
FOI_IMPORT_MAX_SECONDS = env.float("FOI_IMPORT_MAX_SECONDS", default=300.0)
# Letters and e-mail bodies, checked before they are parsed.
FOI_IMPORT_MAX_PDF_PAGES = env.int("FOI_IMPORT_MAX_PDF_PAGES", default=200)
FOI_IMPORT_MAX_DOCUMENT_BYTES = env.int("FOI_IMPORT_MAX_DOCUMENT_BYTES", default=20 * 1024 * 1024)
FOI_IMPORT_MAX_TEXT_BYTES = env.int("FOI_IMPORT_MAX_TEXT_BYTES", default=5 * 1024 * 1024)
# Scanned answers read with OCR (collection/scans/): Debian's tesseract-ocr and poppler-utils.
# Without Tesseract the app says OCR is unavailable and the figures are typed, as before.
FOI_OCR_TESSERACT = env.str("FOI_OCR_TESSERACT", default="tesseract")
FOI_OCR_MAX_PAGES = env.int("FOI_OCR_MAX_PAGES", default=50)
FOI_OCR_MAX_PIXELS = env.int("FOI_OCR_MAX_PIXELS", default=40_000_000)  # one page, at the reading resolution
FOI_OCR_MAX_SECONDS = env.float("FOI_OCR_MAX_SECONDS", default=300.0)
FOI_OCR_PROCESSES = env.int("FOI_OCR_PROCESSES", default=2)  # Tesseract runs side by side
# A reading less sure than this is not filled in: the cell is left for typing, saying why.
FOI_OCR_CONFIDENCE_FLOOR = env.float("FOI_OCR_CONFIDENCE_FLOOR", default=0.05)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Security (stream "security") -----------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# HTTPS only whenever DEBUG is off: redirect plain HTTP, secure cookies, HSTS for a year (with
# subdomains and preload). A plain-HTTP intranet turns each off: SECURE_SSL_REDIRECT=0,
# SECURE_COOKIES=0, SECURE_HSTS_SECONDS=0 (README, "Production").
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0
if env.bool("SECURE_PROXY_SSL", default=False):
    # Behind a TLS-terminating proxy that sets X-Forwarded-Proto (else the redirect loops).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content-Security-Policy on every response (django-csp): scripts only from our own static
# files, so a value someone typed that slips through unescaped cannot run. Styles may still be
# inline (admin pages set style attributes); frames, plugins and <base> are refused.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}

# Login throttling (django-axes): after AXES_FAILURE_LIMIT wrong passwords for one user name
# from one client address, that pair is refused (HTTP 429) for AXES_COOLOFF_MINUTES; the same
# user logs in from any other address. The client address is REMOTE_ADDR, or X-Forwarded-For
# when REMOTE_ADDR is one of FOI_TRUSTED_PROXIES (addresses or networks: the proxy in front);
# FOI_LOGIN_ADDRESS_LIMIT wrong passwords from one address, any user names, lock that address
# (foi_tracker/logins.py). Unlock early in the admin (Login lockouts, superusers only) or with
# `manage.py axes_reset_username NAME`.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "foi_tracker.logins.client_address"
AXES_HANDLER = "foi_tracker.logins.LoginHandler"
FOI_TRUSTED_PROXIES = env.list("FOI_TRUSTED_PROXIES", default=[])
FOI_LOGIN_ADDRESS_LIMIT = env.int("FOI_LOGIN_ADDRESS_LIMIT", default=100)
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "admin/login_locked_out.html"
AXES_VERBOSE = False  # no banner on every command's start

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # django-axes says "deleted 0 failed attempts" at every good log-in; failures and lockouts are warnings.
    "loggers": {"axes": {"level": "WARNING"}},
}

IMPORT_EXPORT_SKIP_ADMIN_LOG = False

# --- Outgoing mail: requests, chasers, digests ("mailout" stream) ------------------------
# The team's FOI mailbox: Reply-To of every request and chaser (forces answer there, and the
# inbox reads it), and the domain of the Message-IDs we generate. Requests and chasers are not
# sent while it is unset: a reply to an address nobody reads is a lost answer.
FOI_MAILBOX_ADDRESS = env.str("FOI_MAILBOX_ADDRESS", default="")
# The name in From. The address is DEFAULT_FROM_EMAIL, or the mailbox while that is left on localhost.
FOI_SENDER_NAME = env.str("FOI_SENDER_NAME", default="FOI research team")
# Signed at the foot of requests and chasers; "\n" starts a new line. Empty: the sender name.
FOI_SIGNATURE = env.str("FOI_SIGNATURE", default="", multiline=True)
# Seconds each exchange with the mail server may take before the send fails (and is retried):
# without it a stalled server holds a send for ever. Far shorter than the lease below.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=5)
# How many connections to the mail server a send opens at once: a hung server costs
# EMAIL_TIMEOUT per message, this many at a time.
FOI_SEND_CONNECTIONS = env.int("FOI_SEND_CONNECTIONS", default=4)

# --- National figures -------------------------------------------------------------------
# A suppressed cell written without a number ("*", "x") allows 1 to this threshold - 1.
REPORTS_SUPPRESSION_THRESHOLD = env.int("REPORTS_SUPPRESSION_THRESHOLD", default=5)

# --- Perf: the report cache (stream "perf") ----------------------------------------------
# The national figures of a campaign, its charts and the provisional xlsx's summary are computed
# once per version of its data and kept here (reports/cache.py); a database trigger changes the
# version with the data, so nothing here can go stale. Default: each process's own memory. With
# several web processes, a shared cache computes once for all, e.g. REPORTS_CACHE_URL=redis://host:6379/2
# (a Redis database of its own: never the Celery broker's).
CACHES = {
    **globals().get("CACHES", {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}),
    "reports": env.cache_url("REPORTS_CACHE_URL", default="locmemcache://foi-reports"),
}
# After an import or an answer, a worker works the campaign's figures out again into that cache, so
# the next report view reads them instead of summing the counts' subtotals (reports/subtotals.py).
# On by default with a shared cache; a worker warming its own memory would help no web process.
FOI_WARM_REPORTS = env.bool("FOI_WARM_REPORTS", default=bool(env.str("REPORTS_CACHE_URL", default="")))

# --- Typed entry and many returns at once (the "entry" stream) ------------------------------
# The most files read from one drop, zip or e-mail; a browser also sends at most
# DATA_UPLOAD_MAX_NUMBER_FILES files in one form (Django's default 100): more go in a zip.
FOI_BULK_MAX_FILES = env.int("FOI_BULK_MAX_FILES", default=200)

# --- Forces' mail: the inbox (collection/mail/) -------------------------------------------
# The team's mailbox: imaps://user:password@host:993/INBOX (imap:// for a local server). Unset:
# no polling; mail still comes in through ingest_mail and the admin upload.
IMAP_URL = env.str("IMAP_URL", default="")
# A poller that died holding a mailbox's lease is overtaken after this many seconds.
FOI_MAIL_LEASE_SECONDS = env.int("FOI_MAIL_LEASE_SECONDS", default=900)
# Largest message read (bigger ones are kept raw and listed as unreadable); attachments are
# limited by FOI_IMPORT_MAX_FILE_BYTES like every returned file.
FOI_MAIL_MAX_MESSAGE_BYTES = env.int("FOI_MAIL_MAX_MESSAGE_BYTES", default=100 * 1024 * 1024)
# Past any of these a message is kept whole, its headers read, marked "too many parts" (or "too
# large"), and nothing inside it acted on: MIME parts, attachments, and the bytes its parts decode to.
FOI_MAIL_MAX_PARTS = env.int("FOI_MAIL_MAX_PARTS", default=200)
FOI_MAIL_MAX_ATTACHMENTS = env.int("FOI_MAIL_MAX_ATTACHMENTS", default=50)
FOI_MAIL_MAX_DECODED_BYTES = env.int("FOI_MAIL_MAX_DECODED_BYTES", default=50 * 1024 * 1024)

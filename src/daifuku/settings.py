"""Django settings for Daifuku, read from environment variables.

Local defaults are safe for one machine: SQLite in ``DAIFUKU_DATA_DIR`` (``./var``),
Huey on SQLite, DEBUG off unless asked for. ``DAIFUKU_MODE=production`` switches on the
settings that ``manage.py check --deploy`` asks for (HTTPS cookies, HSTS, …) and refuses
to start without a real ``SECRET_KEY``.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _


def _env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("DAIFUKU_DATA_DIR", Path.cwd() / "var")).resolve()
# SQLite files (database, Huey queue) live here; the directory must exist before Huey opens its queue.
DATA_DIR.mkdir(parents=True, exist_ok=True)

MODE = os.environ.get("DAIFUKU_MODE", "local")
PRODUCTION = MODE == "production"

_DEV_SECRET = "daifuku-local-development-key-not-for-production-use-0123456789"  # noqa: S105
SECRET_KEY = os.environ.get("SECRET_KEY", "" if PRODUCTION else _DEV_SECRET)
if PRODUCTION and (not SECRET_KEY or SECRET_KEY == _DEV_SECRET or len(SECRET_KEY) < 50):
    raise ImproperlyConfigured("SECRET_KEY must be set to a random string of 50+ characters in production")

DEBUG = _env_bool("DEBUG", default=False) and not PRODUCTION
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ninja",
    "huey.contrib.djhuey",
    "daifuku.core",
    "daifuku.customers",
    "daifuku.activities",
    "daifuku.imports",
    "daifuku.catalog",
    "daifuku.sales",
    "daifuku.web",
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
    "daifuku.core.middleware.RequestContextMiddleware",
    "daifuku.core.middleware.SecurityHeadersMiddleware",
]

ROOT_URLCONF = "daifuku.urls"
ASGI_APPLICATION = "daifuku.asgi.application"
WSGI_APPLICATION = "daifuku.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            # {% url %} remembering argument-free addresses (daifuku/web/templatetags/daifuku_url.py)
            "builtins": ["daifuku.web.templatetags.daifuku_url"],
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "daifuku.web.context_processors.navigation",
            ],
        },
    },
]

_default_db = f"sqlite:///{DATA_DIR / 'daifuku.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(os.environ.get("DATABASE_URL", _default_db))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A pool (psycopg_pool) per process hands each request an open connection and takes it back at the
    # request's end, shared by the web threads (daifuku.asgi), Huey's workers and the tests' concurrent
    # writers; max_size covers them all; DAIFUKU_DB_POOL_MAX raises it.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 2,
        "max_size": int(os.environ.get("DAIFUKU_DB_POOL_MAX", "20")),
        "timeout": 20,
    }
    # Values bound by the server, and a statement run 5 times on a connection prepared there, so that
    # PostgreSQL parses and plans it once (planning was 1.2 ms of a 50-company API page's six
    # statements) and psycopg stops writing values into the SQL text: API requests/s at 100k 278 →
    # 391 (bench/notes.md). Django leaves both off for poolers that cannot keep prepared statements
    # (PgBouncer in transaction mode): DAIFUKU_DB_PREPARE=0 behind one.
    if os.environ.get("DAIFUKU_DB_PREPARE", "1") != "0":
        DATABASES["default"]["OPTIONS"]["server_side_binding"] = True
        DATABASES["default"]["OPTIONS"]["prepare_threshold"] = 5
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Each web thread keeps its connection (daifuku.asgi runs requests on a fixed pool of threads): no
    # reopening and PRAGMAs per request, and the connection's page cache stays warm.
    DATABASES["default"]["CONN_MAX_AGE"] = 600
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
            "PRAGMA busy_timeout=20000; PRAGMA cache_size=-64000; PRAGMA mmap_size=268435456;"
        ),
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = ["daifuku.core.auth.LockoutModelBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "core:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "core:login"
# Lockout after repeated failed logins (per account).
DAIFUKU_LOGIN_MAX_FAILURES = int(os.environ.get("DAIFUKU_LOGIN_MAX_FAILURES", "5"))
DAIFUKU_LOGIN_LOCK_MINUTES = int(os.environ.get("DAIFUKU_LOGIN_LOCK_MINUTES", "15"))
# Contract expiry alerts to the owner, in days before 契約満了日 (each sent once per contract and end date).
DAIFUKU_CONTRACT_ALERT_DAYS = [
    int(days) for days in os.environ.get("DAIFUKU_CONTRACT_ALERT_DAYS", "90,30,7").split(",") if days.strip()
]

LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", _("Japanese")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise warns about a missing root even when serving from finders
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
MEDIA_ROOT = DATA_DIR / "media"

# Sessions and cookies
SESSION_ENGINE = "daifuku.core.sessions"  # database sessions, read by a prepared statement
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 12
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the cookie-free header set in base.html
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = _env_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# Background jobs: Huey on SQLite locally, Redis when REDIS_URL is set; immediate in tests.
REDIS_URL = os.environ.get("REDIS_URL", "")
HUEY_IMMEDIATE = _env_bool("HUEY_IMMEDIATE", default=False)
if REDIS_URL:
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": "daifuku",
        "url": REDIS_URL,
        "immediate": HUEY_IMMEDIATE,
        "consumer": {"workers": 2, "worker_type": "thread"},
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "daifuku",
        "filename": str(DATA_DIR / "huey.sqlite3"),
        "immediate": HUEY_IMMEDIATE,
        "consumer": {"workers": 2, "worker_type": "thread"},
    }

CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "daifuku"}
    )
}

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "daifuku@localhost")
# Absolute links in mails (notifications, reminders): the address people open Daifuku at.
DAIFUKU_BASE_URL = os.environ.get("DAIFUKU_BASE_URL", "http://127.0.0.1:8000")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

# Page size for server-side paginated lists.
DAIFUKU_PAGE_SIZE = 50

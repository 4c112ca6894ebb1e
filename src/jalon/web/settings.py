"""Django settings. Everything that varies comes from the environment (``jalon serve`` sets it)."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from jalon.web.database import parse_database_url, sqlite_settings


def _whole_number(name: str, default: int, minimum: int) -> int:
    """An integer setting from the environment, or a French message naming it."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < minimum:
        raise ImproperlyConfigured(f"{name} : attendu un nombre entier d'au moins {minimum}, reçu {raw!r}")
    return int(raw)


DATA_DIR = Path(os.environ.get("JALON_DATA_DIR", ".jalon")).resolve()
# A development key: `jalon serve` stores a random one beside the database and passes it here.
SECRET_KEY = os.environ.get("JALON_SECRET_KEY", "jalon-insecure-development-key")
DEBUG = os.environ.get("JALON_DEBUG", "") == "1"
DEFAULT_EXCEPTION_REPORTER_FILTER = "jalon.web.error_reports.ReporterFilter"
# The names the site answers to: a deployment behind a reverse proxy adds its public name(s), comma-separated,
# with JALON_ALLOWED_HOSTS (a request for any other Host header is refused, as Django does).
ALLOWED_HOSTS = [
    "127.0.0.1",
    "localhost",
    "testserver",
    *(h.strip() for h in os.environ.get("JALON_ALLOWED_HOSTS", "").split(",") if h.strip()),
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "axes",
    # Serves Swagger UI's files from /static/ for /api/docs (no CDN: it works without the Internet and
    # under the Content-Security-Policy).
    "ninja",
    "jalon.web.referentiels",
    "jalon.web.collectivites",
    "jalon.web.statuts",
    "jalon.web.discussions",
    "jalon.web.labellisation",
    "jalon.web.preuves",
    "jalon.web.pages",
]

MIDDLEWARE = [
    # First: every later middleware, and the log lines of errors, know the request id.
    "jalon.web.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "jalon.web.middleware.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "jalon.web.limits.ApiGuardMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: turns a locked-out login into its page (throttle.lockout_response).
    "axes.middleware.AxesMiddleware",
]

# Always: no MIME sniffing, the Referer only to this site (SecurityMiddleware); the Content-Security-Policy
# comes from middleware.py.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Behind an HTTPS reverse proxy (JALON_HTTPS=1; the proxy sets X-Forwarded-Proto): cookies only over
# HTTPS, and browsers told to use HTTPS only for a year. Redirecting http:// to https:// is left to the
# proxy (Django doing it too would loop when the proxy does not send the header).
HTTPS = os.environ.get("JALON_HTTPS", "") == "1"
if HTTPS:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 365 * 24 * 3600
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Logs on the server's standard error, each line with the id of its request (middleware.py), the
# traceback of every server error included; passwords of connection strings masked. Client errors
# (4xx) are not logged: bad input is answered, not an incident.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "jalon.web.middleware.RequestIdFilter"}},
    "formatters": {
        "jalon": {
            "()": "jalon.web.middleware.MaskingFormatter",
            "format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s",
        }
    },
    "handlers": {
        "stderr": {"class": "logging.StreamHandler", "filters": ["request_id"], "formatter": "jalon"}
    },
    "root": {"handlers": ["stderr"], "level": "WARNING"},
    "loggers": {"django.request": {"level": "ERROR"}},
}

ROOT_URLCONF = "jalon.web.urls"
WSGI_APPLICATION = "jalon.web.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

_url = os.environ.get("DATABASE_URL")
DATABASES = {"default": parse_database_url(_url) if _url else sqlite_settings(DATA_DIR / "jalon.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
# Checked where people choose a password (the invitation's sign-up form, the admin's password forms).
_VALIDATION = "django.contrib.auth.password_validation."
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": _VALIDATION + "UserAttributeSimilarityValidator"},
    {"NAME": _VALIDATION + "MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": _VALIDATION + "CommonPasswordValidator"},
    {"NAME": _VALIDATION + "NumericPasswordValidator"},
]
# Login throttling (django-axes, see throttle.py): a locked-out attempt is refused before its password is
# hashed. 5 failures of an account from one address, or 10 of an address whatever the accounts, lock
# for 15 minutes; a success clears that account's failures. Each failure before the lock costs an Argon2
# hash (~0.3 s of the server's only thread on SQLite): the address limit bounds what one address takes
# (bench/login_burst.py). An administrator unlocks in the admin (Tentatives de connexion) or with
# `django-admin axes_reset_username NAME`, `axes_reset_ip ADDRESS` or `axes_reset` (everything).
AUTHENTICATION_BACKENDS = [
    "jalon.web.throttle.LoginThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "jalon.web.throttle.ThrottleHandler"
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_FAILURE_LIMIT = 5
JALON_ADDRESS_FAILURE_LIMIT = 10
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_RESET_ON_SUCCESS = True
# Failures during a lockout are not recorded: the time shown to the person stays true, and a locked-out
# attempt writes nothing.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "jalon.web.throttle.lockout_response"
AXES_CLIENT_IP_CALLABLE = "jalon.web.throttle.client_address"
# Successful logins are not kept (addresses and browsers of people, forever); failures are, 15 minutes.
AXES_DISABLE_ACCESS_LOG = True
# Reverse proxies in front of Jalon that append the client's address to X-Forwarded-For (0: none).
JALON_PROXY_COUNT = _whole_number("JALON_PROXY_COUNT", 0, minimum=0)

# Days an invitation link stays valid (it is also single use, and dies when its creator stops being admin).
JALON_INVITATION_DAYS = _whole_number("JALON_INVITATION_DAYS", 7, minimum=1)

# Scored states of collectivités a process remembers between their writes (statuts/write.py): one per
# collectivité × référentiel, about 0.3 MB each on the official CAE. 0 remembers none.
JALON_SCORED_STATES_KEPT = _whole_number("JALON_SCORED_STATES_KEPT", 256, minimum=0)

LOGIN_URL = "/connexion/"
LOGIN_REDIRECT_URL = "/"

LANGUAGE_CODE = "fr-fr"
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"

# The bibliothèque's files, content-addressed (preuves/files.py), on disk beside the database; the
# backups (backup.py) take what is under MEDIA_ROOT.
MEDIA_ROOT = str(DATA_DIR / "fichiers")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},  # in MEDIA_ROOT
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# The largest file a collectivité may upload (Mo); a bigger body is refused before it is read whole.
JALON_MAX_UPLOAD_MB = _whole_number("JALON_MAX_UPLOAD_MB", 50, 1)
# Uploads above this go to a temporary file, not memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

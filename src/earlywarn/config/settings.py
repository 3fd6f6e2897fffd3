"""Settings, read from the environment through ``earlywarn.config.env`` (see docs/configuration.md).

Secure by default: DEBUG is off unless EARLYWARN_DEBUG says otherwise; the secret key is generated into the
data directory when EARLYWARN_SECRET_KEY is absent; the embedded default is SQLite in WAL mode.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url

from earlywarn.config.env import data_dir, env_bool, env_float, env_int, env_list, env_str, secret_key

PACKAGE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = data_dir()

SECRET_KEY = secret_key(DATA_DIR)
DEBUG = env_bool("EARLYWARN_DEBUG", default=False)

BASE_URL = env_str("EARLYWARN_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
_base = urlsplit(BASE_URL)
ALLOWED_HOSTS = env_list("EARLYWARN_ALLOWED_HOSTS", [_base.hostname or "127.0.0.1", "127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = [f"{_base.scheme}://{_base.netloc}"]
SECURE_BY_HTTPS = _base.scheme == "https"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "ninja",
    "earlywarn.accounts",
    "earlywarn.advisories",
    "earlywarn.cases",
    "earlywarn.intake",
    "earlywarn.notify",
    "earlywarn.web",
    "earlywarn.websites",
    "earlywarn.coordination",
    "earlywarn.committee",
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
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "earlywarn.web.middleware.SecurityHeadersMiddleware",
    # Inside the headers middleware (its refusals get the headers); before any view's CSRF check reads the form.
    "earlywarn.web.middleware.RequestSizeGuardMiddleware",
    "earlywarn.accounts.middleware.StaffMfaRequiredMiddleware",
]

ROOT_URLCONF = "earlywarn.config.urls"
WSGI_APPLICATION = "earlywarn.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "earlywarn.web.context_processors.platform",
            ],
        },
    },
]

# --- database -------------------------------------------------------------------------------------------
_database_url = env_str("DATABASE_URL")
# WAL lets readers run beside the one writer; IMMEDIATE takes the write lock at BEGIN so two writers queue on
# busy_timeout instead of failing with "database is locked" on upgrade.
# Django's SQLite backend, with write transactions queued on a file lock (earlywarn/config/sqlite/base.py).
SQLITE_ENGINE = "earlywarn.config.sqlite"
# The task worker checkpoints the WAL every second, outside any request (config/worker.py); a web process does
# it itself only past 10,000 pages (~40 MB), when no worker runs, and the log file is cut back to 64 MB after a
# burst. A checkpoint's fsync in a request held up the writers behind it: 12-20 % of the machine sat idle under
# the intake benchmark (decision 0010).
_SQLITE_OPTIONS = {
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
                    "PRAGMA wal_autocheckpoint=10000; PRAGMA journal_size_limit=67108864;",
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
}
# Connections are kept between requests on both databases. Opening a SQLite connection parses the whole schema
# (about 220 tables and indexes): 1.4 ms of CPU, a quarter of a report submission's cost (docs/benchmarks.md).
_conn_max_age = env_int("EARLYWARN_DB_CONN_MAX_AGE", 60)
if _database_url:
    DATABASES = {"default": dj_database_url.parse(_database_url, conn_max_age=_conn_max_age,
                                                  conn_health_checks=True)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        DATABASES["default"]["ENGINE"] = SQLITE_ENGINE
        DATABASES["default"]["OPTIONS"] = dict(_SQLITE_OPTIONS)
else:
    DATABASES = {
        "default": {
            "ENGINE": SQLITE_ENGINE,
            "NAME": str(DATA_DIR / "earlywarn.sqlite3"),
            "OPTIONS": dict(_SQLITE_OPTIONS),
            "CONN_MAX_AGE": _conn_max_age,
            "CONN_HEALTH_CHECKS": True,
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- accounts ---------------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "web:home"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = False
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/5m/key"}
# Behind the reverse proxy the client's address is the last X-Forwarded-For entry (the proxy's own), so the
# per-address login limit counts clients, not the proxy, whichever web server runs (gunicorn keeps REMOTE_ADDR
# the proxy's). Without a proxy no forwarded header is believed (config/cli.py web_argv).
_behind_proxy = env_bool("EARLYWARN_BEHIND_PROXY", default=False)
ALLAUTH_TRUSTED_PROXY_COUNT = 1 if _behind_proxy else 0
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[earlywarn] "
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "earlywarn"

SESSION_COOKIE_AGE = env_int("EARLYWARN_SESSION_SECONDS", 8 * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = SECURE_BY_HTTPS
CSRF_COOKIE_SECURE = SECURE_BY_HTTPS
SESSION_COOKIE_NAME = "earlywarn_session"
CSRF_COOKIE_NAME = "earlywarn_csrf"

# --- security headers -------------------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = SECURE_BY_HTTPS and env_bool("EARLYWARN_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = 31536000 if SECURE_BY_HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_BY_HTTPS
# Preloading is hard to undo and binds the whole domain: the operator opts in. Without it, Django's deploy
# check warns (W021); that one warning is silenced on purpose, every other check stays on.
SECURE_HSTS_PRELOAD = SECURE_BY_HTTPS and env_bool("EARLYWARN_HSTS_PRELOAD", default=False)
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if _behind_proxy else None
)

# --- request size limits (bad input gets a 4xx, never a 500) ---------------------------------------------
EARLYWARN_MAX_ATTACHMENT_BYTES = env_int("EARLYWARN_MAX_ATTACHMENT_BYTES", 10 * 1024 * 1024)
EARLYWARN_MAX_ATTACHMENTS = env_int("EARLYWARN_MAX_ATTACHMENTS", 5)
# The largest request body held in memory: JSON plus base64 attachments through the API. Multipart uploads
# from the forms stream to disk and are limited per file by the form.
EARLYWARN_MAX_REQUEST_BYTES = env_int("EARLYWARN_MAX_REQUEST_BYTES", 16 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = EARLYWARN_MAX_REQUEST_BYTES
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 200
MEDIA_ROOT = DATA_DIR / "files"  # private: never served directly, only through access-checked views
# Published advisories written as files and served by the production server without Django
# (advisories/public_files.py, config/fastpath.py); "off" switches the files off (Django answers everything).
_public_dir = env_str("EARLYWARN_PUBLIC_DIR", str(DATA_DIR / "public"))
EARLYWARN_PUBLIC_DIR = None if _public_dir.lower() in {"", "off", "none"} else Path(_public_dir).resolve()

# --- i18n and time ----------------------------------------------------------------------------------------
LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", "日本語"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "earlywarn_language"
USE_I18N = True
USE_TZ = True
TIME_ZONE = env_str("EARLYWARN_TIME_ZONE", "Asia/Tokyo")

# --- static -----------------------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# --- mail -------------------------------------------------------------------------------------------------
_email_url = env_str("EMAIL_URL")
DEFAULT_FROM_EMAIL = env_str("EARLYWARN_FROM_EMAIL", "earlywarn <noreply@earlywarn.invalid>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
if _email_url:
    _mail = urlsplit(_email_url)
    if _mail.scheme not in {"smtp", "smtps", "smtp+tls"}:
        raise ValueError("EMAIL_URL must be smtp://host:port, smtp+tls://host:port or smtps://host:port")
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = _mail.hostname or "127.0.0.1"
    EMAIL_PORT = _mail.port or (465 if _mail.scheme == "smtps" else 25)
    EMAIL_HOST_USER = _mail.username or ""
    EMAIL_HOST_PASSWORD = _mail.password or ""
    EMAIL_USE_SSL = _mail.scheme == "smtps"
    EMAIL_USE_TLS = _mail.scheme == "smtp+tls"
    EMAIL_TIMEOUT = env_int("EARLYWARN_SMTP_TIMEOUT", 20)
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = DATA_DIR / "mail"

# --- background work --------------------------------------------------------------------------------------
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# --- logging: never log request bodies (they may hold embargoed text) -------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("EARLYWARN_LOG_LEVEL", "WARNING")},
    "loggers": {"earlywarn": {"level": env_str("EARLYWARN_LOG_LEVEL", "INFO")}},
}

# --- domain policy (partnership.md §4; docs/configuration.md documents each default) ---------------------
EARLYWARN = {
    # §4.1/§4.2: product reports need a contactable finder; website reports do not. Debated: configurable.
    "PRODUCT_REQUIRES_CONTACTABLE_FINDER": env_bool("EARLYWARN_PRODUCT_REQUIRES_CONTACTABLE", default=True),
    "WEBSITE_REQUIRES_CONTACTABLE_FINDER": env_bool("EARLYWARN_WEBSITE_REQUIRES_CONTACTABLE", default=False),
    # §4.4 and §4.5 clocks.
    "PUBLICATION_TARGET_DAYS": env_int("EARLYWARN_PUBLICATION_TARGET_DAYS", 45),
    "PROLONGED_DAYS": env_int("EARLYWARN_PROLONGED_DAYS", 90),
    # §4.4 起算日 is undefined in the sources: "first_notified" (the day the first developer is notified) or
    # "accepted" (the day the report was accepted); the target counts business days unless this is off.
    "COORDINATION_START_DATE": env_str("EARLYWARN_COORDINATION_START_DATE", "first_notified"),
    "PUBLICATION_TARGET_BUSINESS_DAYS": env_bool("EARLYWARN_PUBLICATION_TARGET_BUSINESS_DAYS", default=True),
    # Reminders to a developer that has not confirmed receipt, in days after its notice, counted like the target.
    "DEVELOPER_REMINDER_DAYS": env_list("EARLYWARN_DEVELOPER_REMINDER_DAYS", ["5", "10", "20"]),
    # Closures that are not business days besides weekends and national holidays (stats/calendar.py).
    "CLOSURE_DAYS": env_str("EARLYWARN_CLOSURE_DAYS", "12-29..01-03"),
    # Tracking number prefix of reports: e.g. EW-2026-7K3M-Q9TD.
    "TRACKING_PREFIX": env_str("EARLYWARN_TRACKING_PREFIX", "EW"),
    # Published category of states whose bucket the source documents leave open (partnership.md §3.6).
    "CATEGORY_EOL_A": env_str("EARLYWARN_CATEGORY_EOL_A", "individual_handling"),
    "CATEGORY_KNOWN_VULNERABILITY": env_str("EARLYWARN_CATEGORY_KNOWN_VULNERABILITY", "individual_handling"),
    # §4.9 priority information provision: the sectors recipients belong to (codes; electric power and government
    # agencies are the only ones the sources name), how many business days before publication the countermeasure
    # information goes out ("数日程度": a few days), and whether cases published after the committee (調整不能, EOL
    # cases D/E) may be provided at all - an open point of §4.7/§4.9.
    "PRIORITY_SECTORS": env_list("EARLYWARN_PRIORITY_SECTORS", ["electric_power", "government"]),
    "PRIORITY_LEAD_DAYS": env_int("EARLYWARN_PRIORITY_LEAD_DAYS", 3),
    "PRIORITY_AFTER_COMMITTEE": env_bool("EARLYWARN_PRIORITY_AFTER_COMMITTEE", default=False),
    # §4.11 individual handling (個別対応): "notify_all" (the guideline: the developer can notify every user) or
    # "limited_users" (the 2021 study group: also not a general-purpose product with many or unspecified users).
    "INDIVIDUAL_HANDLING_RULE": env_str("EARLYWARN_INDIVIDUAL_HANDLING_RULE", "notify_all"),
    # §2 #8 / §4.7 the publication judgment committee (docs/committee.md): members seated per case, and whether its
    # decision binds (the platform carries it out) or advises (the coordinator decides) - an open point of §4.7.
    "COMMITTEE_SIZE": env_int("EARLYWARN_COMMITTEE_SIZE", 3),
    "COMMITTEE_BINDING": env_bool("EARLYWARN_COMMITTEE_BINDING", default=True),
    # S18: the website operator types that count as small companies; the sources do not say (docs/statistics.md).
    "SMALL_COMPANY_OPERATOR_TYPES": env_list("EARLYWARN_SMALL_COMPANY_OPERATOR_TYPES",
                                             ["unlisted_company", "other_company"]),
    # Outbox delivery.
    "MAIL_MAX_ATTEMPTS": env_int("EARLYWARN_MAIL_MAX_ATTEMPTS", 12),
    "MAIL_RETRY_BASE_SECONDS": env_float("EARLYWARN_MAIL_RETRY_BASE_SECONDS", 30.0),
    "MAIL_RETRY_MAX_SECONDS": env_float("EARLYWARN_MAIL_RETRY_MAX_SECONDS", 3600.0),
    "TASK_LEASE_SECONDS": env_int("EARLYWARN_TASK_LEASE_SECONDS", 300),
    "STATUS_LINK_DAYS": env_int("EARLYWARN_STATUS_LINK_DAYS", 730),
    # Advisories (docs/advisories.md): identifier prefixes (single domestic developer | multi-developer/overseas),
    # the CSAF publisher, the CSAF document language and the OpenPGP key that signs published documents.
    "ADVISORY_ID_PREFIXES": env_list("EARLYWARN_ADVISORY_ID_PREFIXES", ["EW#", "EWVU#"]),
    "CSAF_PUBLISHER_NAME": env_str("EARLYWARN_CSAF_PUBLISHER_NAME", "earlywarn"),
    "CSAF_PUBLISHER_CATEGORY": env_str("EARLYWARN_CSAF_PUBLISHER_CATEGORY", "coordinator"),
    "CSAF_LANG": env_str("EARLYWARN_CSAF_LANG", "ja"),
    # CVE JSON 5 records (advisories/cve.py): the CNA's organisation UUID and short name in CVE Services.
    "CVE_ORG_ID": env_str("EARLYWARN_CVE_ORG_ID", ""),
    "CVE_SHORT_NAME": env_str("EARLYWARN_CVE_SHORT_NAME", ""),
    "OPENPGP_HOME": env_str("EARLYWARN_OPENPGP_HOME", str(DATA_DIR / "openpgp")),
    # Websites (docs/websites.md). The operator's private link lives this long from its issue.
    "OPERATOR_LINK_DAYS": env_int("EARLYWARN_OPERATOR_LINK_DAYS", 365),
    # A developer's invitation (the account link in its notice, docs/coordination.md) works this many days, once.
    "DEVELOPER_INVITATION_DAYS": env_int("EARLYWARN_DEVELOPER_INVITATION_DAYS", 30),
    # The notification asks for an acknowledgement within this many days (§4.21: "promptly"; the number is ours).
    "OPERATOR_ACK_DAYS": env_int("EARLYWARN_OPERATOR_ACK_DAYS", 14),
    # Reminders, in days after the notification, while no fix has been reported.
    "OPERATOR_REMINDER_DAYS": env_list("EARLYWARN_OPERATOR_REMINDER_DAYS", ["14", "30", "60", "90"]),
    # Lower bounds of the elapsed-day groups of the prolonged-cases view (§4.5 gives none).
    "PROLONGED_BUCKETS": env_list("EARLYWARN_PROLONGED_BUCKETS", ["90", "180", "365", "730", "1095"]),
    # Where a small operator can get help (§4.12): "日本語名|English name|URL" entries separated by ";".
    "OPERATOR_HELP": env_str("EARLYWARN_OPERATOR_HELP", "ITコーディネータ協会（お近くの IT コーディネータ）|"
                             "ITC Association (find an IT coordinator near you)|https://www.itc.or.jp/;"
                             "IPA「安全なウェブサイトの作り方」|IPA: How to Secure Your Web Site|"
                             "https://www.ipa.go.jp/security/vuln/websecurity/about.html"),
    # Put the technical details in the operator's mail body; off: they are behind the private link (0006).
    "OPERATOR_MAIL_DETAILS": env_bool("EARLYWARN_OPERATOR_MAIL_DETAILS", default=False),
    # security.txt discovery (SSRF guard, docs/decisions/0006).
    "SECURITY_TXT_ALLOW_HTTP": env_bool("EARLYWARN_SECURITY_TXT_ALLOW_HTTP", default=DEBUG),
    "SECURITY_TXT_ALLOW_PRIVATE": env_bool("EARLYWARN_SECURITY_TXT_ALLOW_PRIVATE", default=False),
    "SECURITY_TXT_DEADLINE_SECONDS": env_float("EARLYWARN_SECURITY_TXT_DEADLINE_SECONDS", 8.0),
    "SECURITY_TXT_MAX_BYTES": env_int("EARLYWARN_SECURITY_TXT_MAX_BYTES", 32 * 1024),
}

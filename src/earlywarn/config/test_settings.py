"""Settings for the test suite: the production settings with a fast hasher and in-memory mail by default.

Tests that need a real SMTP server or the real task worker override these per test.
"""

from earlywarn.config.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only; production keeps Argon2
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
# No public files unless a test asks for them (tests/advisories/test_public_files.py sets a temporary directory).
EARLYWARN_PUBLIC_DIR = None
ACCOUNT_RATE_LIMITS = False  # type: ignore[assignment]  # allauth accepts False to disable them

# The SQLite test database is a file (not in memory), so that worker processes started by the outbox tests
# see the same database as the test. pytest-django adds a per-xdist-worker suffix to the name.
if DATABASES["default"]["ENGINE"] == SQLITE_ENGINE:  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test-earlywarn.sqlite3")}  # noqa: F405

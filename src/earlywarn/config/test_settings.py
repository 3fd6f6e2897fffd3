"""Settings for the test suite: the production settings with a fast hasher and in-memory mail by default.

Tests that need a real SMTP server or the real task worker override these per test.
"""

from earlywarn.config.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only; production keeps Argon2
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
ACCOUNT_RATE_LIMITS = False  # type: ignore[assignment]  # allauth accepts False to disable them

"""Settings for the test suite.

DATABASE_URL picks the PostgreSQL server: CI sets it; without it, ``make test`` runs the
suite on the embedded server (``core/embedded_db.py``).
"""

import os

os.environ.setdefault("SECRET_KEY", "test-key-not-secret")

from .base import *  # noqa: E402, F403

DEBUG = False
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Each pytest-xdist worker writes its uploads apart from the others.
MEDIA_ROOT = VAR_DIR / f"test-media-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"  # noqa: F405
HEALTHZ_BROKER_TIMEOUT_SECONDS = 1.0
WHITENOISE_AUTOREFRESH = True  # no static files are collected for the tests
# The throttle has its own test, which lowers the rate; elsewhere it never interferes.
API_ANON_THROTTLE_RATE = "1000000/minute"
# Personas log in without a second factor; the tests of the requirement turn it on.
STAFF_MFA_REQUIRED = False
# The fake webhook receivers of the tests listen on 127.0.0.1 (refused in production).
WEBHOOK_ALLOWED_PRIVATE_NETWORKS = ["127.0.0.1/32"]
# A stand-in replica (the same database, through a second connection) for the tests of
# the replica router (core.routing), which list it in DATABASE_REPLICAS; unused elsewhere.
DATABASES["replica"] = DATABASES["default"] | {"TEST": {"MIRROR": "default"}}  # noqa: F405
# The headline figures are counted again at once after a write (public.summary).
REGISTRY_SUMMARY_DEBOUNCE_SECONDS = 0

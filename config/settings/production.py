"""Production settings: every secret from the environment, no defaults."""

from .base import *  # noqa: F403
from .environment import env, env_bool, env_secret

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_secret("SECRET_KEY")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
# Editors, oversight members and administrators set up a second factor before any staff page.
STAFF_MFA_REQUIRED = env_bool("STAFF_MFA_REQUIRED", True)

# gunicorn sits behind a TLS-terminating proxy that sets X-Forwarded-Proto (README,
# "Production with docker compose"): a request is secure when the proxy says it came by HTTPS.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
# /healthz is probed over plain HTTP by the container's health check.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
# HTTP Strict Transport Security, sent with every HTTPS answer: a browser that has been here
# once comes back by HTTPS only, for a year. Preloading is a promise for the whole domain that
# is hard to take back: the domain owner's choice, off unless asked for, so check --deploy's
# warning that it is off (security.W021) is silenced.
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SILENCED_SYSTEM_CHECKS = ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True

STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

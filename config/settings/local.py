"""Settings for running on a developer's machine: DEBUG on, embedded defaults."""

import os

from .environment import env, env_bool

# A development key, so that a first run needs no configuration. Production
# settings have no default.
os.environ.setdefault("SECRET_KEY", "insecure-development-key-never-use-in-production")

from .base import *  # noqa: E402, F403

DEBUG = env_bool("DEBUG", True)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
# Security keys (WebAuthn) over plain http://127.0.0.1:8000 during development.
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = True

"""The form's time-based challenge and the rate limits: self-hosted spam control.

The challenge is a signed timestamp rendered in the form: a submission sent sooner than
``MIN_SECONDS`` after the form was served (a script), later than ``MAX_AGE`` (a stale or
replayed form), or with a token that does not verify, is refused. It asks nothing of a
person and needs no JavaScript. (django-altcha, a proof-of-work field, was considered: a
dependency of its own and a web worker to admit under the site's content security policy,
for little more against the volume a registry of this size sees.)

Rate limits count submissions per e-mail address and per client address in the cache, with
keyed hashes as keys, so that neither address is stored.
"""

import hashlib
import hmac
import time

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.utils.translation import gettext

SALT = "feedback.form-challenge"
MIN_SECONDS = 3
MAX_AGE = 2 * 60 * 60

# (limit, window in seconds) of submissions per e-mail address and per client address.
PER_EMAIL = (3, 60 * 60)
PER_CLIENT = (10, 60 * 60)


def challenge_issue(now: float | None = None) -> str:
    return signing.dumps(now if now is not None else time.time(), salt=SALT)


def challenge_error(token: str, now: float | None = None) -> str | None:
    """Why the token fails, in words for the person filling the form; None if it holds."""
    now = now if now is not None else time.time()
    try:
        issued = float(signing.loads(token, salt=SALT))
    except (signing.BadSignature, TypeError, ValueError):
        return gettext("The form could not be checked. Please reload the page and send it again.")
    if now - issued < MIN_SECONDS:
        return gettext("That was sent very fast. Please wait a few seconds and send it again.")
    if now - issued > MAX_AGE:
        return gettext("The form has expired. Please reload the page and send it again.")
    return None


def keyed_hash(value: str) -> str:
    """A hash of an address that cannot be reversed by trying addresses without the key."""
    return hmac.new(
        settings.SECRET_KEY.encode(), value.strip().lower().encode(), hashlib.sha256
    ).hexdigest()


def within_rate_limit(kind: str, value: str, limit_window: tuple[int, int]) -> bool:
    """Count one submission of ``value`` (an address of ``kind``); False once it exceeds its
    limit within the window."""
    limit, window = limit_window
    key = f"feedback-rate:{kind}:{keyed_hash(value)}"
    cache.add(key, 0, timeout=window)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)
        count = 1
    return count <= limit

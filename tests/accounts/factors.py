"""An authenticator app, as the tests hold one: its secret, its codes, its recovery codes."""

import base64
import hashlib
import hmac
import struct
import time

from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret


def totp_code(secret: str, at: float | None = None) -> str:
    """The code an authenticator app shows now (RFC 6238: 30-second steps, 6 digits)."""
    counter = int((time.time() if at is None else at) // 30)
    digest = hmac.new(base64.b32decode(secret), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


class SecondFactor:
    """An account's authenticator app (its secret) and its recovery codes."""

    def __init__(self, user):
        self.user = user
        self.secret = generate_totp_secret()
        TOTP.activate(user, self.secret)
        self.recovery_codes = RecoveryCodes.activate(user).get_unused_codes()

    def code(self) -> str:
        return totp_code(self.secret)

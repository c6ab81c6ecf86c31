"""Encryption of stored secrets (workspace API keys) under the operator's SETGET_SECRET_KEY.

cryptography is imported when a box is made, not with this module: the storage package
imports it, and a command that seals or opens nothing should not load cryptography."""

from __future__ import annotations

import base64

from core.errors import InvalidInput, SetGetError

MIN_KEY_LENGTH = 16  # characters of SETGET_SECRET_KEY text
_INFO = b"setget-bot stored secrets v1"


class SecretUnreadable(SetGetError):
    """A stored secret cannot be decrypted with the secret key this process has."""

    def __init__(
        self, message: str = "the stored API key cannot be decrypted: SETGET_SECRET_KEY changed?"
    ) -> None:
        super().__init__(message)


class SecretBox:
    """Seals and opens text with Fernet (AES-128-CBC plus HMAC-SHA256, timestamped).

    The key is either a Fernet key (urlsafe base64 of 32 bytes, from `Fernet.generate_key`)
    or any text of at least 16 characters, from which HKDF-SHA256 derives one.
    """

    def __init__(self, key: str) -> None:
        from cryptography.fernet import Fernet

        self._fernet = Fernet(_fernet_key(key))

    def __repr__(self) -> str:
        return "SecretBox(key='***')"

    def seal(self, text: str) -> str:
        return self._fernet.encrypt(text.encode()).decode("ascii")

    def open(self, token: str) -> str:
        from cryptography.fernet import InvalidToken

        try:
            return self._fernet.decrypt(token.encode()).decode()
        except (InvalidToken, UnicodeError):
            raise SecretUnreadable() from None


def _fernet_key(key: str) -> bytes:
    text = key.strip()
    if len(text) < MIN_KEY_LENGTH:
        raise InvalidInput(
            f"SETGET_SECRET_KEY must have at least {MIN_KEY_LENGTH} characters "
            "(e.g. the output of `openssl rand -base64 32`)"
        )
    try:
        raw = base64.b64decode(text, altchars=b"-_", validate=True)
    except ValueError:
        raw = b""
    if len(raw) == 32:
        return base64.urlsafe_b64encode(raw)
    from cryptography.hazmat.primitives.hashes import SHA256
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    derived = HKDF(algorithm=SHA256(), length=32, salt=None, info=_INFO).derive(text.encode())
    return base64.urlsafe_b64encode(derived)

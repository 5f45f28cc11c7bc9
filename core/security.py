"""Random secrets that are stored only as hashes, so a leaked table reveals no usable token, and secrets
derived from a stored random nonce under SECRET_KEY, so a page can show them again (tickets, calendar feeds)
while a leaked database alone gives none of them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

from flask import current_app

TOKEN_BYTES = 32  # 256 bits
DERIVED_BYTES = 16  # 128 bits: 22 URL-safe characters
_DERIVED = re.compile(r"^[A-Za-z0-9_-]{22}$")


def new_token() -> tuple[str, str]:
    """A fresh URL-safe secret and the hash to store for it."""
    raw = secrets.token_urlsafe(TOKEN_BYTES)
    return raw, hash_token(raw)


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def new_join_code() -> str:
    """A join code people can type: 10 characters without look-alikes (about 50 bits)."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(10))


def derived_mac(label: str) -> bytes:
    """HMAC-SHA256 of `label` (a purpose and a stored nonce) under the app's SECRET_KEY."""
    key = current_app.config["SECRET_KEY"]
    key = key.encode("utf-8") if isinstance(key, str) else key
    return hmac.new(key, label.encode("utf-8"), hashlib.sha256).digest()


def derived_secret(label: str) -> str:
    """The 128-bit URL-safe secret (22 characters) derived from `label`; a new SECRET_KEY gives new secrets."""
    return base64.urlsafe_b64encode(derived_mac(label)[:DERIVED_BYTES]).decode("ascii").rstrip("=")


def is_derived_secret(text: str | None) -> bool:
    """Whether `text` has the shape of a derived_secret (worth hashing and looking up at all)."""
    return bool(_DERIVED.match(text or ""))

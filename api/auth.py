"""Bearer tokens (JWT, HS256, with a `kid` so keys rotate) and the Telegram Mini App's initData.

A token names who asks (`sub`: the Telegram user id) and what it was issued for (`role`, and the
hotels of a manager); it never grants more than the hotel context says now: every request checks
the role and the hotels again (see api/deps.py)."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl

import jwt

ALGORITHM = "HS256"
ROLES = ("guest", "manager", "admin")


class BadToken(Exception):
    """Expired, altered, signed with an unknown key or with another algorithm, or incomplete."""


class BadInitData(Exception):
    """Not signed by Telegram for this bot, or too old."""


@dataclass(frozen=True)
class Claims:
    user_id: int
    role: str
    hotels: tuple[int, ...]
    token_id: str
    name: str = ""


class Tokens:
    def __init__(self, keys: Mapping[str, str]) -> None:
        if not keys:
            raise ValueError("at least one signing key is needed")
        self.keys = dict(keys)
        self.kid = next(iter(self.keys))

    def issue(
        self, user_id: int, role: str, hotels: tuple[int, ...], now: datetime, ttl: timedelta, name: str = ""
    ) -> str:
        claims = {
            "sub": str(user_id),
            "name": name,
            "role": role,
            "hotels": list(hotels),
            "iat": int(now.timestamp()),
            "exp": int((now + ttl).timestamp()),
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(claims, self.keys[self.kid], algorithm=ALGORITHM, headers={"kid": self.kid})

    def verify(self, token: str) -> Claims:
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            if not isinstance(kid, str) or kid not in self.keys:
                raise BadToken("unknown key")
            # The algorithm is ours, never the token's: alg=none and any other are refused here.
            found: dict[str, Any] = jwt.decode(
                token,
                self.keys[kid],
                algorithms=[ALGORITHM],
                options={"require": ["sub", "exp", "iat", "jti"]},
            )
            role, hotels = found.get("role"), found.get("hotels", [])
            if role not in ROLES or not isinstance(hotels, list) or not all(isinstance(h, int) for h in hotels):
                raise BadToken("bad claims")
            name = found.get("name", "")
            return Claims(int(found["sub"]), role, tuple(hotels), str(found["jti"]), str(name)[:64])
        except BadToken:
            raise
        except (jwt.PyJWTError, ValueError, TypeError) as exc:
            raise BadToken(str(exc)) from None


@dataclass(frozen=True)
class MiniAppUser:
    user_id: int
    first_name: str
    language_code: str


def verify_init_data(init_data: str, bot_token: str, now: datetime, max_age_s: int) -> MiniAppUser:
    """As Telegram specifies for Mini Apps: the data-check-string is every field but `hash`,
    sorted, `key=value` joined by newlines; the key is HMAC-SHA256("WebAppData", bot token)."""
    fields = dict(parse_qsl(init_data, keep_blank_values=True, strict_parsing=False))
    given = fields.pop("hash", "")
    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
    secret = hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()
    wanted = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    if not given or not hmac.compare_digest(wanted, given):
        raise BadInitData("hash")
    try:
        auth_date = int(fields["auth_date"])
        user = json.loads(fields["user"])
        user_id = int(user["id"])
    except (KeyError, ValueError, TypeError) as exc:
        raise BadInitData("fields") from exc
    age = now.timestamp() - auth_date
    if age > max_age_s or age < -60:
        raise BadInitData("too old")
    return MiniAppUser(user_id, str(user.get("first_name", ""))[:64], str(user.get("language_code", "en")))


def sign_init_data(fields: Mapping[str, str], bot_token: str) -> str:
    """What Telegram does (for tests and local tools): the fields with their `hash` added."""
    from urllib.parse import urlencode

    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
    secret = hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()
    return urlencode({**fields, "hash": hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()})

"""Who opens the Mini App, and which chat they may read: Telegram's initData, or a /web link.

initData is checked as Telegram documents it (core.telegram.org/bots/webapps, "Validating data
received via the Mini App"): secret_key = HMAC_SHA256(key="WebAppData", msg=bot_token), then
hash = hex(HMAC_SHA256(key=secret_key, msg=data_check_string)), where data_check_string is
every received field but `hash`, as key=value, sorted by key, joined by newlines. The hash is
compared in constant time, auth_date must be recent, and a hash that already opened a session
is refused (news.storage.web_opened, shared by every process): a leaked URL fragment cannot
open a second session.

A /web link carries (chat, user, expiry) and an HMAC of them under a key derived from the bot
token with another label, so a link is never valid initData and initData never a link.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

# initData signed in the future by more than this is refused (clocks drift a little).
CLOCK_SKEW = 60
MAX_INIT_DATA = 4096  # bytes; Telegram's is well under 1 KB


class AuthError(ValueError):
    """initData or a link that opens nothing; the message says why (for the log, not the user)."""


@dataclass(frozen=True, slots=True)
class Opener:
    """Who opened the app, for which chat, and how (Telegram's initData, or a /web link)."""

    user_id: int
    chat_id: int
    via: str  # "telegram" | "link"
    proof: str = ""  # the initData hash (replay key); empty for links
    signed_at: int = 0  # initData's auth_date; 0 for links


def _hmac(key: bytes, msg: bytes) -> bytes:
    return hmac.new(key, msg, hashlib.sha256).digest()


def web_app_secret(token: str) -> bytes:
    """Return Telegram's secret key for initData: HMAC_SHA256("WebAppData", token)."""
    return _hmac(b"WebAppData", token.encode())


def derived_key(token: str, label: str) -> bytes:
    """Return a key for our own signatures (links, cookies), one per label, from the token."""
    return _hmac(f"newsbot-web:{label}".encode(), token.encode())


def sign_init_data(token: str, fields: dict[str, str]) -> str:
    """Return `fields` as initData signed with the bot token, as Telegram sends it (tests)."""
    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
    digest = hmac.new(web_app_secret(token), check.encode(), hashlib.sha256).hexdigest()
    return urlencode({**fields, "hash": digest})


def check_init_data(init_data: str, token: str, *, max_age: int, now: float) -> Opener:
    """Return who signed in with `init_data`; raise AuthError unless Telegram signed it lately.

    The chat is the user's private chat, or the group named by start_param (a direct link's
    `startapp`); whether the user is in that group is the caller's question.
    """
    if len(init_data) > MAX_INIT_DATA:
        raise AuthError("initData too long")
    try:
        pairs = parse_qsl(init_data, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise AuthError("initData is not a query string") from None
    fields = dict(pairs)
    if len(fields) != len(pairs):
        raise AuthError("initData repeats a field")
    received = fields.pop("hash", "")
    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
    expected = hmac.new(web_app_secret(token), check.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, received.lower()):
        raise AuthError("initData hash does not match")
    try:
        signed_at = int(fields.get("auth_date", ""))
        user = json.loads(fields.get("user", ""))
        user_id = int(user["id"])
    except (ValueError, TypeError, KeyError):
        raise AuthError("initData lacks auth_date or user") from None
    if signed_at > now + CLOCK_SKEW or now - signed_at > max_age:
        raise AuthError("initData expired")
    chat_id = user_id
    start = fields.get("start_param", "")
    if start:
        try:
            chat_id = int(start)
        except ValueError:
            raise AuthError("start_param is not a chat id") from None
    return Opener(
        user_id=user_id,
        chat_id=chat_id,
        via="telegram",
        proof=received.lower(),
        signed_at=signed_at,
    )


def sign_link(token: str, chat_id: int, user_id: int, *, expires: int) -> str:
    """Return a link token for `chat_id`, asked for by `user_id`, valid until `expires`."""
    body = f"{chat_id}.{user_id}.{expires}"
    mac = hmac.new(derived_key(token, "link"), body.encode(), hashlib.sha256).hexdigest()
    return f"{body}.{mac[:32]}"


def check_link(link: str, token: str, *, now: float) -> Opener:
    """Return who a /web link was made for; raise AuthError if it is forged or expired."""
    body, _, mac = link.rpartition(".")
    expected = hmac.new(derived_key(token, "link"), body.encode(), hashlib.sha256).hexdigest()
    if not mac or not hmac.compare_digest(expected[:32], mac):
        raise AuthError("link signature does not match")
    try:
        chat, user, expires = (int(part) for part in body.split("."))
    except ValueError:
        raise AuthError("link is malformed") from None
    if now > expires:
        raise AuthError("link expired")
    return Opener(user_id=user, chat_id=chat, via="link")

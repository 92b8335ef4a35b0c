"""An entry's identity: a hash that survives re-polls and tells apart items sharing a GUID.

The GUID; when the GUID is shared with another entry of the document or is a channel-level URL
(the feed's own URL or home page), GUID+link, then GUID+title, then GUID+title+text. Without a
GUID: the link, with the same fallbacks; with neither: title+text. The result depends only on
the entries of one document, never on their order. (As miniflux's adapter does, plus the
fallbacks for feeds that repeat one GUID for every item.)
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class EntryIdentity:
    """What an entry's identity is made of (all already normalized)."""

    guid: str | None
    link: str | None
    title: str
    text: str


def _keys(item: EntryIdentity, channel_urls: Collection[str]) -> list[str]:
    """Return the candidate identity keys of an entry, strongest first."""
    body = f"{item.title}\n{item.text}"
    if item.guid:
        g = item.guid
        keys = [f"guid:{g}", f"guid+link:{g}\n{item.link or ''}", f"guid+title:{g}\n{item.title}"]
        keys.append(f"guid+content:{g}\n{body}")
        return keys[1:] if g in channel_urls else keys
    if item.link:
        link = item.link
        keys = [f"link:{link}", f"link+title:{link}\n{item.title}", f"link+content:{link}\n{body}"]
        return keys[1:] if link in channel_urls else keys
    return [f"content:{body}"]


def entry_hashes(
    items: Sequence[EntryIdentity], *, channel_urls: Collection[str] = ()
) -> list[str]:
    """Return one hash per entry: of its strongest key that no other entry shares."""
    chains = [_keys(item, channel_urls) for item in items]
    counts = Counter(key for chain in chains for key in set(chain))
    # Entries identical in every key are one item published twice: they get one hash.
    chosen = [next((k for k in chain if counts[k] == 1), chain[-1]) for chain in chains]
    return [hashlib.sha256(key.encode("utf-8", "replace")).hexdigest() for key in chosen]


def entry_hash(*, guid: str | None, link: str | None, title: str, text: str) -> str:
    """Return the identity hash of an entry that shares nothing with the rest of its feed."""
    return entry_hashes([EntryIdentity(guid=guid, link=link, title=title, text=text)])[0]

"""One feed, one key: the spellings of a feed URL that name the same feed share `url_key`.

`http://Example.com:80/feed/#top` and `https://example.com/feed` are one feed: the scheme, the
host's case, a default port, a trailing slash and the fragment do not tell feeds apart. The key
is what the database keeps unique (feeds.url_key); the URL first added stays the one fetched.
"""

from __future__ import annotations

from urllib.parse import urlsplit

_DEFAULT_PORTS = {"http": 80, "https": 443}


def url_key(url: str) -> str:
    """Return the key of a feed URL: host (lower case, port unless default), path, query."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return url  # file: URLs and the like are their own key
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"  # an IPv6 literal keeps its brackets
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        host = f"{host}:{port}"
    key = host + parts.path.rstrip("/")
    return f"{key}?{parts.query}" if parts.query else key

"""fetch: download feeds and article pages safely.

`Fetcher.fetch()` does a conditional GET over one shared httpx client with explicit timeouts
and an overall deadline, follows at most `max_redirects` redirects (each hop checked again),
caps the decoded body at `max_body_bytes`, runs at most `per_host_concurrency` requests per
host, turns 429/503 into HTTPStatusError with Retry-After, and refuses hosts that resolve to
private addresses (see news.fetch.guard). Local files are read only when the caller allows.
"""

from news.fetch.client import FEED_ACCEPT, HTML_ACCEPT, Fetcher
from news.fetch.guard import is_public_address
from news.fetch.urls import check_url

__all__ = ["FEED_ACCEPT", "HTML_ACCEPT", "Fetcher", "check_url", "is_public_address"]

"""Errors raised by the news domain. Every message starts with its stage.

NewsbotError
├── FetchError              fetch: the document could not be downloaded
│   ├── BlockedURLError      a scheme, host or address we refuse (private network, file:)
│   ├── FetchTimeoutError    connect/read timed out
│   ├── TooLargeError        body over the byte cap
│   ├── TooManyRedirectsError
│   └── HTTPStatusError      a non-success status (carries status and retry_after)
├── ParseError              parse: the bytes are not a feed
├── ExtractError            extract: no main text found in an article page
└── QueryError              search: the user's query has nothing searchable in it
"""

from __future__ import annotations


class NewsbotError(Exception):
    """Base of every error the news domain raises on purpose."""


class FetchError(NewsbotError):
    """The document could not be downloaded."""


class BlockedURLError(FetchError):
    """The URL's scheme, host or resolved address is not allowed."""


class FetchTimeoutError(FetchError):
    """The server did not answer in time."""


class TooLargeError(FetchError):
    """The body was larger than the configured cap."""


class TooManyRedirectsError(FetchError):
    """The server redirected more often than allowed."""


class HTTPStatusError(FetchError):
    """The server answered with a status we cannot use."""

    def __init__(self, message: str, status: int, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


class ParseError(NewsbotError):
    """The bytes are not a feed we can read."""


class ExtractError(NewsbotError):
    """No main text could be extracted from an article page."""


class QueryError(NewsbotError, ValueError):
    """A search query with nothing to search for; the message is shown to the user."""

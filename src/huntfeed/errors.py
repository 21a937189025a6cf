"""One error root for huntfeed.

    HuntfeedError
    ├── ConfigError          bad settings or data file (carries file:line)
    │   └── DataFileError    a use case, phrase rule, rubric... that fails its strict loader
    ├── FetchError           network trouble for one URL (carries the URL)
    │   ├── BlockedURLError  the SSRF guard refused a URL or redirect
    │   ├── TooLargeError    the response passed the size cap
    │   └── HTTPStatusError  a non-success status that is not a 304
    ├── ParseError           a feed, OPML or document that cannot be read
    ├── AnalysisError        a stage failed on one article
    ├── QueryError           a query failed validation or an unsafe value reached a query builder
    └── StoreError           the database refused or is unreachable

Each error says where it happened: ``where`` holds a URL, feed or ``file:line``.
"""

from __future__ import annotations


class HuntfeedError(Exception):
    """Root of every error huntfeed raises on purpose."""

    def __init__(self, message: str, *, where: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.where = where

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class ConfigError(HuntfeedError):
    """Settings or an analyst's data file are wrong."""


class DataFileError(ConfigError):
    """A data file failed its strict loader; ``where`` is ``path:line``."""


class FetchError(HuntfeedError):
    """A URL could not be fetched."""


class BlockedURLError(FetchError):
    """The SSRF guard refused a URL (private address, odd scheme, redirect to either)."""


class TooLargeError(FetchError):
    """A response passed the configured size cap."""


class HTTPStatusError(FetchError):
    """The server answered with an error status."""

    def __init__(self, message: str, *, where: str = "", status: int = 0) -> None:
        super().__init__(message, where=where)
        self.status = status


class ParseError(HuntfeedError):
    """A feed, OPML file or document could not be parsed."""


class AnalysisError(HuntfeedError):
    """A stage failed on one article."""


class QueryError(HuntfeedError):
    """A generated query is invalid or a value could not be made safe for it."""


class StoreError(HuntfeedError):
    """The store failed."""

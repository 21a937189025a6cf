"""The two enumerations the extractor needs, kept apart from the domain objects of ``huntfeed.model``.

``huntfeed.model`` re-exports both (``huntfeed.model.IndicatorType is huntfeed.kinds.IndicatorType``):
importing them from here spares `huntfeed extract` the generation of model's seventeen dataclasses
(a tenth of its start on a small file).
"""

from __future__ import annotations

from enum import Enum


class IndicatorType(str, Enum):
    """Kinds of indicator the extractor knows; the first ten are the scored core types."""

    IPV4 = "ipv4"
    IPV6 = "ipv6"
    DOMAIN = "domain"
    URL = "url"
    EMAIL = "email"
    MD5 = "md5"
    SHA1 = "sha1"
    SHA256 = "sha256"
    SHA512 = "sha512"
    CVE = "cve"
    FILENAME = "filename"
    FILEPATH = "filepath"
    REGISTRY = "registry"
    BITCOIN = "bitcoin"
    MONERO = "monero"
    ASN = "asn"
    JA3 = "ja3"
    JA4 = "ja4"
    USER_AGENT = "user_agent"
    ATTACK_ID = "attack_id"
    PACKAGE = "package"  # a mobile app's package or bundle id (com.example.app): what an MDM sweeps for
    GUID = "guid"  # an application, tenant or COM class id: an identity-log pivot where an author lists it

    def __str__(self) -> str:
        return self.value


class Fidelity(str, Enum):
    """Whether an indicator is worth hunting on (high) or merely present in the text (low)."""

    HIGH = "high"
    LOW = "low"

    def __str__(self) -> str:
        return self.value

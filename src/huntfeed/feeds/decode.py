"""Content-Encoding decoding that never holds more than a small piece of decoded output.

httpx decodes each network chunk in one call, so with stacked layers (``gzip, gzip``) one
3 KB chunk can expand to gigabytes before any cap sees a byte. Here every layer is a zlib
stream asked for at most ``PIECE`` bytes at a time, and each piece goes through the next layer
before more is asked for: the caller counts decoded bytes as they come and stops at its cap,
and memory stays a few pieces per layer whatever the ratio.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator, Sequence

from huntfeed.errors import FetchError

PIECE = 64 * 1024
# One layer is what servers send; two is rare but legitimate (a gzipped file served gzipped).
MAX_STACKED = 2
SUPPORTED = frozenset({"gzip", "x-gzip", "deflate"})


class _Layer:
    """One gzip or deflate stream, decoded a bounded piece at a time."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._raw_fallback = name == "deflate"  # servers send deflate both zlib-wrapped and raw
        self._obj = zlib.decompressobj(zlib.MAX_WBITS | 16 if name != "deflate" else zlib.MAX_WBITS)

    def feed(self, data: bytes) -> Iterator[bytes]:
        while data and not self._obj.eof:
            try:
                out = self._obj.decompress(data, PIECE)
            except zlib.error as exc:
                if not self._raw_fallback:
                    raise FetchError(f"DecodingError: broken {self.name} stream: {exc}") from exc
                self._raw_fallback = False
                self._obj = zlib.decompressobj(-zlib.MAX_WBITS)
                continue
            self._raw_fallback = False
            data = self._obj.unconsumed_tail
            if out:
                yield out
        # Input all taken but output may still be pending inside zlib when the last piece was full.
        while not self._obj.eof:
            out = self._obj.decompress(b"", PIECE)
            if not out:
                break
            yield out

    def flush(self) -> Iterator[bytes]:
        try:
            out = self._obj.flush()
        except zlib.error as exc:
            raise FetchError(f"DecodingError: broken {self.name} stream: {exc}") from exc
        if out:
            yield out


def layers_for(encodings: Sequence[str]) -> list[_Layer]:
    """Decoders for a Content-Encoding list, innermost last; refuses unknown or too many layers."""
    names = [e for e in encodings if e != "identity"]
    odd = [e for e in names if e not in SUPPORTED]
    if odd:
        # Never requested; left undecoded it would reach the parsers as compressed noise.
        raise FetchError(f"unsupported Content-Encoding {odd[0]!r} (only gzip and deflate are asked for)")
    if len(names) > MAX_STACKED:
        raise FetchError(f"{len(names)} stacked Content-Encodings ({', '.join(names)}); at most {MAX_STACKED} "
                         "are decoded")
    return [_Layer(n) for n in reversed(names)]  # applied in order listed, so undone last-first


def _through(layers: Sequence[_Layer], data: bytes) -> Iterator[bytes]:
    if not layers:
        if data:
            yield data
        return
    for piece in layers[0].feed(data):
        yield from _through(layers[1:], piece)


def decode(layers: Sequence[_Layer], data: bytes) -> Iterator[bytes]:
    """The decoded pieces of one raw chunk, none over ``PIECE`` bytes (the raw chunk as is without layers)."""
    yield from _through(layers, data)


def finish(layers: Sequence[_Layer]) -> Iterator[bytes]:
    """What the layers still hold once the body has ended."""
    for i, layer in enumerate(layers):
        for piece in layer.flush():
            yield from _through(layers[i + 1 :], piece)

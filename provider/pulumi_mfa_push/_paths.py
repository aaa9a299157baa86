"""Request paths built from segments, each percent-encoded: an id can never steer a request.

Interpolating an id into a path lets `../x` climb out of its collection, `A#b` cut the path
short and `A/callbacks/<id>` reach another object. Every client builds its paths here."""

from __future__ import annotations

from urllib.parse import quote

from ._errors import ProviderError


def path(*segments: str) -> str:
    """`/seg1/seg2/...`, each segment encoded whole (`/`, `?`, `#`, `%` included)."""
    out = []
    for segment in segments:
        text = str(segment)
        if text in ("", ".", ".."):
            # Check rules keep these out of every id; a path with one would address something else.
            raise ProviderError(f"refusing to build a request path with the segment {text!r}")
        out.append(quote(text, safe=""))
    return "/" + "/".join(out)

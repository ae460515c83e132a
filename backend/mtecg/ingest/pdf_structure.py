"""Static checks of a PDF page's drawing work, done before MuPDF interprets or renders it.

A PDF can make a small file cost unbounded work: a 100 KB Flate stream that inflates to 10 GB,
a form XObject that draws another form ten times, nested ten deep (10^10 draws, the PDF
"billion laughs"), or an image XObject declaring 100k x 100k pixels. This module walks what a
page would draw (its content streams, the form XObjects, tiling patterns and Type 3 glyph
procedures they use, recursively) and adds up the decoded content each page expands to,
counting a form once per use, without interpreting anything and without ever inflating more
than the cap.

The walk is an estimate that errs high: a name token in a content stream counts as one use of
every resource with that name. Deep nesting inside content (``q``, arrays, dictionaries) is
left to MuPDF, which stops at its own limits (about 2,000 levels) while the page is first
interpreted, still before rendering. What the walk does not follow (soft-mask groups; annotation
appearances, which are not rendered; glyph counts of Type 3 fonts; streams with rare filters)
is bounded by the sandbox's CPU, memory and wall-clock limits instead.
"""

from __future__ import annotations

import base64
import binascii
import re
import zlib
from collections import Counter
from typing import Any, Final

from mtecg.errors import RejectCode, Rejection
from mtecg.ingest.limits import IngestLimits

# A PDF name token: '/' then regular characters (anything but whitespace and delimiters).
_NAME: Final = re.compile(rb"/([^\s/\[\]<>(){}%]*)")
# An indirect reference following a name inside a dictionary as MuPDF prints it.
_NAMED_REF: Final = re.compile(r"/([^\s/\[\]<>(){}%]+)\s*(\d+)\s+\d+\s+R")
_REF: Final = re.compile(r"(\d+)\s+\d+\s+R")
_HEX_ESCAPE: Final = re.compile(rb"#([0-9A-Fa-f]{2})")
_FILTER_NAME: Final = re.compile(r"/(\w+)")

# Filters decoded here with a bounded output. Others (LZW, RunLength, ...) are left to MuPDF:
# they are practically never used for content streams and the sandbox bounds them.
_FLATE: Final = frozenset({"FlateDecode", "Fl"})
_ASCII85: Final = frozenset({"ASCII85Decode", "A85"})
_ASCIIHEX: Final = frozenset({"ASCIIHexDecode", "AHx"})
_CHUNK: Final = 1 << 16
_MAX_PARENT_HOPS: Final = 64

# What a drawing node costs: (expanded content bytes, form depth below it).
Cost = tuple[int, int]


def _too_complex(what: str) -> Rejection:
    return Rejection(
        RejectCode.PDF_TOO_COMPLEX, f"The PDF page is too complex to process ({what})."
    )


def _name(raw: bytes) -> bytes:
    """A name with its #xx escapes decoded, so content tokens and dictionary keys compare."""
    return _HEX_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), raw)


def _inflate(data: bytes, cap: int) -> bytes:
    """Inflate zlib data in chunks; PDF_TOO_COMPLEX as soon as the output passes `cap` bytes.

    Stops quietly at the first error and keeps what decoded before it, as MuPDF does. Peak
    memory is about `cap`: the output is joined only once it is known to fit.
    """
    inflater = zlib.decompressobj()
    parts: list[bytes] = []
    size = 0
    view = memoryview(data)
    for start in range(0, len(data), _CHUNK):
        chunk: bytes | memoryview = view[start : start + _CHUNK]
        while chunk and not inflater.eof:
            try:
                part = inflater.decompress(chunk, _CHUNK)
            except zlib.error:
                return b"".join(parts)
            size += len(part)
            if size > cap:
                raise _too_complex("a content stream is too large")
            parts.append(part)
            if not part and len(inflater.unconsumed_tail) == len(chunk):
                break  # no progress (cannot happen with valid zlib; guards the loop)
            chunk = inflater.unconsumed_tail
        if inflater.eof:
            break
    return b"".join(parts)


def _ascii85(data: bytes) -> bytes:
    body = b"".join(data.split(b"~>", 1)[0].split())
    body = body.removeprefix(b"<~")
    return base64.a85decode(body)


def _asciihex(data: bytes) -> bytes:
    body = b"".join(data.split(b">", 1)[0].split())
    return binascii.unhexlify(body + b"0" * (len(body) % 2))


class StructureCheck:
    """Walks one document's pages; memoises shared forms so the walk itself stays linear."""

    def __init__(self, doc: Any, limits: IngestLimits) -> None:
        self._doc = doc
        self._limits = limits
        self._memo: dict[tuple[str, int, int], Cost] = {}

    def check_page(self, page_xref: int, content_xrefs: list[int]) -> None:
        """Raise PDF_TOO_COMPLEX if the page at `page_xref` would cost more than the caps."""
        owner = self._page_resource_owner(page_xref)
        parts: list[bytes] = []
        budget = self._limits.max_content_bytes
        for xref in content_xrefs:  # the budget is for all of them together
            parts.append(self._read(xref, budget))
            budget -= len(parts[-1])
        self._cost_of_content(b"".join(parts), owner, stack=())

    # -- drawing nodes -------------------------------------------------------------------

    def _cost_of_content(self, content: bytes, owner: int, stack: tuple[int, ...]) -> Cost:
        limits = self._limits
        uses: Counter[bytes] = Counter()
        for raw, count in Counter(_NAME.findall(content)).items():
            uses[_name(raw)] += count
        total, depth_below = len(content), 0
        for name, children in self._resources(owner).items():
            count = uses.get(name, 0)
            if count == 0:
                continue
            for kind, xref in children:
                if xref in stack:
                    raise _too_complex("a form draws itself")
                if len(stack) >= limits.max_form_depth:
                    raise _too_complex("forms nested too deeply")
                size, depth = self._cost_of_child(kind, xref, owner, stack)
                if len(stack) + 1 + depth > limits.max_form_depth:
                    # A memoised form reached again, this time from deeper down.
                    raise _too_complex("forms nested too deeply")
                total += count * size
                if total > limits.max_content_bytes:
                    raise _too_complex("too much drawing content")
                depth_below = max(depth_below, depth + 1)
        return total, depth_below

    def _cost_of_child(self, kind: str, xref: int, owner: int, stack: tuple[int, ...]) -> Cost:
        key = (kind, xref, owner)
        if key in self._memo:
            return self._memo[key]
        own = xref if self._key(xref, "Resources")[0] != "null" else owner
        inner = (*stack, xref)
        cap = self._limits.max_content_bytes
        if kind == "stream":
            cost = self._cost_of_content(self._read(xref, cap), own, inner)
        else:  # a Type 3 font: each glyph procedure is a content stream
            cost = (0, 0)
            for proc in self._refs(self._key(xref, "CharProcs")):
                size, depth = self._cost_of_content(self._read(proc, cap), own, inner)
                cost = (cost[0] + size, max(cost[1], depth))
                if cost[0] > cap:
                    raise _too_complex("too much drawing content")
        self._memo[key] = cost
        return cost

    def _resources(self, owner: int) -> dict[bytes, list[tuple[str, int]]]:
        """Drawing resources by name: forms and tiling patterns ("stream"), Type 3 fonts.

        Image XObjects are checked here too: their declared size must fit the pixel cap,
        since MuPDF decodes an image at full size whatever size it is drawn.
        """
        found: dict[bytes, list[tuple[str, int]]] = {}
        for category in ("XObject", "Pattern", "Font"):
            for name, xref in self._named_refs(self._key(owner, f"Resources/{category}")):
                subtype = self._key(xref, "Subtype")[1]
                if subtype == "/Image":
                    self._check_image(xref)
                    continue
                if subtype == "/Form" or self._key(xref, "PatternType")[1] == "1":
                    kind = "stream"
                elif subtype == "/Type3":
                    kind = "type3"
                else:
                    continue
                key = _name(name.encode("utf-8", "surrogateescape"))
                found.setdefault(key, []).append((kind, xref))
        return found

    def _check_image(self, xref: int) -> None:
        width, height = self._int(xref, "Width"), self._int(xref, "Height")
        limits = self._limits
        if width * height > limits.max_pixels or max(width, height) > limits.max_side:
            raise _too_complex("an embedded image is too large")

    # -- reading objects -----------------------------------------------------------------

    def _page_resource_owner(self, page_xref: int) -> int:
        """The page, or the nearest ancestor in the page tree holding the inherited Resources."""
        xref = page_xref
        for _ in range(_MAX_PARENT_HOPS):
            if self._key(xref, "Resources")[0] != "null":
                return xref
            kind, parent = self._key(xref, "Parent")
            if kind != "xref":
                break
            xref = int(parent.split()[0])
        return page_xref

    def _read(self, xref: int, cap: int) -> bytes:
        """A stream's decoded bytes, refusing (without inflating further) past `cap` bytes."""
        doc = self._doc
        if not doc.xref_is_stream(xref):
            return b""
        filters = _FILTER_NAME.findall(self._key(xref, "Filter")[1])
        if all(f in _FLATE | _ASCII85 | _ASCIIHEX for f in filters):
            data: bytes = doc.xref_stream_raw(xref) or b""
            try:
                for f in filters:
                    if f in _FLATE:
                        data = _inflate(data, cap)
                    elif f in _ASCII85:
                        data = _ascii85(data)
                    else:
                        data = _asciihex(data)
            except ValueError:
                pass  # malformed ASCII data: let MuPDF's lenient decoder have it, below
            else:
                if len(data) > cap:
                    raise _too_complex("a content stream is too large")
                if self._key(xref, "DecodeParms")[0] == "null":
                    return data
        # Predictors, other filters (LZW, RunLength, ...) or malformed data: MuPDF decodes.
        # These are rare in content streams; their output is bounded by the sandbox's memory cap.
        decoded: bytes = doc.xref_stream(xref) or b""
        if len(decoded) > cap:
            raise _too_complex("a content stream is too large")
        return decoded

    def _key(self, xref: int, key: str) -> tuple[str, str]:
        kind, value = self._doc.xref_get_key(xref, key)
        return str(kind), str(value)

    def _refs(self, entry: tuple[str, str]) -> list[int]:
        """The object numbers referenced in an array or dictionary entry (direct or indirect)."""
        kind, value = entry
        if kind == "xref":
            value = self._doc.xref_object(int(value.split()[0]), compressed=True)
        return [int(m.group(1)) for m in _REF.finditer(value)]

    def _named_refs(self, entry: tuple[str, str]) -> list[tuple[str, int]]:
        kind, value = entry
        if kind == "xref":
            value = self._doc.xref_object(int(value.split()[0]), compressed=True)
        elif kind != "dict":
            return []
        return [(m.group(1), int(m.group(2))) for m in _NAMED_REF.finditer(value)]

    def _int(self, xref: int, key: str) -> int:
        kind, value = self._key(xref, key)
        if kind == "xref":
            value = self._doc.xref_object(int(value.split()[0]), compressed=True)
        try:
            return int(float(value))
        except ValueError:
            return 0

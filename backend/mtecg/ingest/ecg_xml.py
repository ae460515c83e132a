"""ECG XML exports (GE MUSE, HL7 aECG, Philips): parsed safely, dispatched by root element.

`defusedxml` parses with DTDs forbidden outright: no ECG export needs one, and refusing them
refuses entity expansion (billion laughs), external entities and external DTD fetches in one
rule, before any of them is resolved. The parsed tree is handed to the format's reader.
"""

from __future__ import annotations

import binascii
import re
from collections.abc import Iterator
from typing import Final
from xml.etree.ElementTree import Element, ParseError

import numpy as np
import numpy.typing as npt

from mtecg.errors import RejectCode, Rejection

#: Root elements (local names) of the XML formats read.
XML_ROOTS: Final = {
    "RestingECG": "muse-xml",
    "AnnotatedECG": "hl7-aecg",
    "restingecgdata": "philips-xml",
}
_COMMENT: Final = re.compile(rb"<!--.*?-->", re.DOTALL)
_FIRST_TAG: Final = re.compile(rb"<([A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)")
#: How far into the file the root element must start (prolog, comments, DOCTYPE included).
SNIFF_WINDOW: Final = 4096


def xml_kind(data: bytes) -> str | None:
    """The XML format named by the document's root element, or None if it is not one."""
    head = data[:SNIFF_WINDOW].lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head.startswith(b"<"):
        return None
    match = _FIRST_TAG.search(_COMMENT.sub(b"", head))
    if match is None:
        return None
    return XML_ROOTS.get(match.group(2).decode("ascii"))


def parse_xml(data: bytes) -> Element:
    """The document's root; UNSAFE_XML for any DTD or entity, CORRUPT_FILE if malformed."""
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring

    try:
        return fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)  # type: ignore[no-any-return]
    except DefusedXmlException as exc:
        raise Rejection(
            RejectCode.UNSAFE_XML,
            "The XML declares a DTD or entities, which ECG exports never need; refused.",
        ) from exc
    except (ParseError, ValueError) as exc:
        raise Rejection(RejectCode.CORRUPT_FILE, "The XML file is malformed.") from exc


def local(tag: str) -> str:
    """An element's name without its namespace."""
    return tag.rsplit("}", 1)[-1]


def children(element: Element, name: str) -> Iterator[Element]:
    return (child for child in element if local(child.tag) == name)


def child(element: Element, name: str) -> Element | None:
    return next(children(element, name), None)


def text_of(element: Element | None, name: str, default: str = "") -> str:
    found = None if element is None else child(element, name)
    return default if found is None or found.text is None else found.text.strip()


def decode_int16(text: str, what: str) -> npt.NDArray[np.float64]:
    """Base64 of little-endian int16 samples; CORRUPT_FILE names `what` if it is not that."""
    try:
        raw = binascii.a2b_base64(re.sub(r"\s+", "", text).encode("ascii"), strict_mode=True)
    except (binascii.Error, UnicodeEncodeError, ValueError) as exc:
        raise Rejection(
            RejectCode.CORRUPT_FILE, f"The waveform of {what} is not valid base64 (truncated?)."
        ) from exc
    if len(raw) % 2:
        raise Rejection(RejectCode.CORRUPT_FILE, f"The waveform of {what} is truncated.")
    return np.frombuffer(raw, dtype="<i2").astype(float)

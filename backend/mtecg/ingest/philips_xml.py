"""Philips PageWriter / IntelliSpace ``restingecgdata`` (SierraECG) XML -> channels.

The waveforms are read by `sierraecg` (the maintained reader of this format): base64 of the
``parsedwaveforms`` element, XLI-compressed (per lead: an 8-byte header, then 10-bit LZW of the
samples' second differences). XLI stores III, aVR, aVL and aVF as residuals against values
predicted from I and II, and `sierraecg.read_file` rebuilds them; that rebuild needs the first
six leads to be I, II, III, aVR, aVL, aVF in that order, so any other order is refused.

`sierraecg` applies the same rebuild to uncompressed files too, which is only known to be right
for XLI; uncompressed Philips waveforms are refused (UNSUPPORTED_ENCODING) rather than risk a
misread. Samples are integers of ``signalresolution`` (older files: ``resolution``) microvolts,
from ``dataacquisition/signalcharacteristics``; a file without it is refused as WRONG_UNITS.

`sierraecg` parses with ``defusedxml.minidom`` (entities and external references forbidden). It
is handed the same bytes that `mtecg.ingest.ecg_xml.parse_xml` has already parsed with DTDs
forbidden outright, as an in-memory file object: no temporary file in the sandbox, and the
library's own parser stays the one that builds the tree its functions walk.
"""

from __future__ import annotations

import io
from typing import Final, cast
from xml.etree.ElementTree import Element

import numpy as np

from mtecg.errors import RejectCode, Rejection
from mtecg.ingest.ecg_xml import child, text_of
from mtecg.ingest.waveform import Channel, lead_name

#: The order XLI's limb-lead residuals assume (`sierraecg.read_file` rebuilds leads 3-6 from 1-2).
_LIMB_ORDER: Final = ("I", "II", "III", "aVR", "aVL", "aVF")


def _corrupt(what: str) -> Rejection:
    return Rejection(RejectCode.CORRUPT_FILE, f"The Philips XML {what}.")


def _uv_per_count(root: Element) -> float:
    acquisition = child(root, "dataacquisition")
    details = None if acquisition is None else child(acquisition, "signalcharacteristics")
    text = text_of(details, "signalresolution") or text_of(details, "resolution")
    try:
        resolution = float(text)
    except ValueError:
        resolution = float("nan")
    if not resolution > 0:
        raise Rejection(
            RejectCode.WRONG_UNITS,
            "The Philips XML states no signal resolution (uV per count); its scale is unknown.",
        )
    return resolution


def _compression(root: Element) -> str:
    waveforms = next((e for e in root.iter() if e.tag.endswith("parsedwaveforms")), None)
    if waveforms is None:
        raise _corrupt("holds no parsedwaveforms element")
    return waveforms.get("compressmethod", waveforms.get("compression", "Uncompressed"))


def read_philips(data: bytes, root: Element) -> list[Channel]:
    """The rhythm leads, in uV, of a Philips XML whose `root` parse_xml has checked."""
    import sierraecg

    compression = _compression(root)
    if compression != "XLI":
        raise Rejection(
            RejectCode.UNSUPPORTED_ENCODING,
            f"Philips XML waveforms stored as {compression!r} are not read (only XLI is); "
            "export the ECG as XLI-compressed XML, PDF, DICOM or HL7 aECG instead.",
        )
    uv = _uv_per_count(root)
    try:
        record = sierraecg.read_file(cast(str, io.BytesIO(data)))  # minidom takes a file object
    except sierraecg.UnsupportedXmlFileError as exc:
        raise Rejection(RejectCode.UNSUPPORTED_ENCODING, f"Not read: {exc}.") from exc
    except (sierraecg.MissingXmlElementError, sierraecg.MissingXmlAttributeError) as exc:
        raise _corrupt(f"lacks {exc}") from exc
    except (ValueError, IndexError, ArithmeticError) as exc:  # base64, XLI, numbers
        raise _corrupt("waveform data is not valid base64/XLI (truncated?)") from exc
    names = tuple(lead_name(lead.label) for lead in record.leads[: len(_LIMB_ORDER)])
    if names != _LIMB_ORDER:
        raise Rejection(
            RejectCode.UNSUPPORTED_ENCODING,
            f"The Philips XML stores its leads as {' '.join(str(n) for n in names)}; XLI is "
            f"only decoded for {' '.join(_LIMB_ORDER)} first.",
        )
    channels = []
    for lead in record.leads:
        expected = lead.duration * lead.sampling_freq // 1000
        if lead.samples.shape[0] < expected:
            raise _corrupt(
                f"lead {lead.label} holds {lead.samples.shape[0]} of its {expected} samples"
            )
        samples = np.asarray(lead.samples[:expected], dtype=float) * uv
        channels.append(Channel(lead.label, samples, "uV", float(lead.sampling_freq)))
    return channels

"""Philips ``restingecgdata`` (SierraECG 1.04) XML with XLI-compressed waveforms, built in memory.

There is no Philips sample file, so the tests write one from known signals. The XLI encoder is
the inverse of `sierraecg`'s decoder (its xli.py and lzw.py are the reference), per lead:

- samples s[0..n-1] become 16-bit values d: d[0], d[1] are s[0], s[1]; the second-difference
  residual r[i] = 2 s[i-1] - s[i-2] - s[i] of sample i (i >= 2) is stored one place early and
  offset by 64: d[i-1] = r[i] + 64 for i >= 3, while r[2] goes in the chunk header; d[n-1] is
  unused (0);
- d is written as all its high bytes, then all its low bytes (2n bytes);
- those bytes are LZW-compressed with 10-bit codes (codes 0-255 the bytes, new strings from 256
  up to 1022), packed most significant bit first, zero-padded to a byte;
- the chunk is an 8-byte header (int32 LE size of the LZW bytes, 2 bytes unused, int16 LE r[2])
  followed by the LZW bytes; the leads' chunks are concatenated, then base64-encoded.

XLI keeps III, aVR, aVL and aVF as residuals against what I and II predict (the inverse of the
rebuild in `sierraecg.read_file`), so those four are stored as such here.
"""

from __future__ import annotations

import base64
import struct
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from mtecg.geometry import LEADS

IntArray = npt.NDArray[np.int64]

_BITS = 10
_MAX_CODE = (1 << _BITS) - 2


def lzw_encode(data: bytes) -> bytes:
    """10-bit LZW (no clear code; the table stops growing at code 1022), MSB-first."""
    table = {bytes([k]): k for k in range(256)}
    next_code = 256
    codes: list[int] = []
    word = b""
    for byte in data:
        grown = word + bytes([byte])
        if grown in table:
            word = grown
            continue
        codes.append(table[word])
        if next_code <= _MAX_CODE:
            table[grown] = next_code
            next_code += 1
        word = bytes([byte])
    if word:
        codes.append(table[word])
    bits = "".join(format(code, f"0{_BITS}b") for code in codes)
    bits += "0" * (-len(bits) % 8)
    return int(bits, 2).to_bytes(len(bits) // 8, "big") if bits else b""


def xli_chunk(samples: IntArray) -> bytes:
    """One lead's XLI chunk: header + LZW of its first-two-then-residual values."""
    s = [int(v) for v in samples]
    n = len(s)
    residual = [0, 0] + [2 * s[i - 1] - s[i - 2] - s[i] for i in range(2, n)]
    values = [s[0], s[1]] + [residual[i + 1] + 64 for i in range(2, n - 1)] + [0]
    packed = np.array(values, dtype=np.int64).astype(np.uint16)
    body = lzw_encode(
        bytes((packed >> 8).astype(np.uint8)) + bytes((packed & 0xFF).astype(np.uint8))
    )
    return struct.pack("<iHh", len(body), 0, residual[2]) + body


def xli_encode(leads: Sequence[IntArray]) -> bytes:
    return b"".join(xli_chunk(lead) for lead in leads)


def stored_leads(counts: IntArray) -> list[IntArray]:
    """The 12 leads (LEADS order, integer counts) as XLI stores them: limb leads as residuals."""
    i, ii, iii, avr, avl, avf = (counts[k] for k in range(6))
    # Inverse of sierraecg.read_file's rebuild (integer floor division as it uses).
    return [
        i,
        ii,
        ii - i - iii,
        -avr - (i + ii) // 2,
        (i - iii) // 2 - avl,
        (ii + iii) // 2 - avf,
        *(counts[k] for k in range(6, 12)),
    ]


def xli_payload(signals: npt.NDArray[np.float64], uv_per_count: float = 5.0) -> bytes:
    """The XLI waveform bytes (before base64) of `signals` in mV."""
    counts = np.round(signals * 1000 / uv_per_count).astype(np.int64)
    return xli_encode(stored_leads(counts))


def philips_xml(
    signals: npt.NDArray[np.float64],
    fs: int = 500,
    uv_per_count: float = 5.0,
    labels: Sequence[str] = LEADS,
    compression: str = "XLI",
    resolution_tag: str = "signalresolution",
    payload: bytes | None = None,
) -> bytes:
    """A Philips 1.04 XML of `signals` (mV, sampled at `fs`); `payload` replaces the waveforms."""
    if payload is None:
        payload = xli_payload(signals, uv_per_count)
    text = base64.b64encode(payload).decode()
    duration_ms = signals.shape[1] * 1000 // fs
    resolution = f"<{resolution_tag}>{uv_per_count:g}</{resolution_tag}>" if resolution_tag else ""
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<restingecgdata xmlns="http://www3.medical.philips.com">'
        "<documentinfo><documenttype>PhilipsECG</documenttype>"
        "<documentversion>1.04</documentversion></documentinfo>"
        '<dataacquisition date="2024-01-01" time="10:10:10"><signalcharacteristics>'
        f"<samplingrate>{fs}</samplingrate>{resolution}"
        "<acquisitiontype>STD-12</acquisitiontype><bitspersample>16</bitspersample>"
        "<numberchannelsallocated>12</numberchannelsallocated>"
        "<numberchannelsvalid>12</numberchannelsvalid>"
        "</signalcharacteristics></dataacquisition>"
        "<patient><generalpatientdata><patientid>SYNTHETIC</patientid></generalpatientdata>"
        "</patient><waveforms>"
        f'<parsedwaveforms durationperchannel="{duration_ms}" dataencoding="Base64" '
        f'compression="{compression}" numberofleads="{len(labels)}" '
        f'leadlabels="{" ".join(labels)}">{text}</parsedwaveforms>'
        "</waveforms></restingecgdata>"
    ).encode()

"""A WFDB record (``.hea`` header + signal files, e.g. ``.dat``, ``.mat``) -> channels (`wfdb`).

`wfdb` is PhysioNet's own Python reader and handles every signal format and header variant
(byte offsets in ``.mat`` files, multi-file records, default gains). It reads from a folder,
so the record's files (from a checked archive) are written to a private temporary folder in
the sandbox worker first. Only the first 10 s are read (``sampto``): a header declaring a
billion samples costs what 10 s cost, and a record shorter than it declares is refused.
"""

from __future__ import annotations

import glob
import math
import tempfile
from pathlib import Path

from mtecg.errors import RejectCode, Rejection
from mtecg.ingest.archive import make_archive, read_archive
from mtecg.ingest.waveform import MAX_FS_HZ, MIN_FS_HZ, Channel
from mtecg.synth.signals import DURATION_S


def _corrupt(what: str) -> Rejection:
    return Rejection(RejectCode.CORRUPT_FILE, f"The WFDB record {what}.")


def _header_name(files: dict[str, bytes]) -> str:
    headers = [name for name in files if name.lower().endswith(".hea")]
    if len(headers) != 1:
        raise Rejection(
            RejectCode.UNSUPPORTED_TYPE,
            "A ZIP upload must hold exactly one WFDB record (one .hea header and its signal "
            "files).",
        )
    return headers[0]


def read_wfdb_archive(data: bytes) -> list[Channel]:
    """Channels of the one WFDB record in a ZIP archive (see `read_archive` for its limits)."""
    files = read_archive(data)
    header = _header_name(files)
    with tempfile.TemporaryDirectory(prefix="mtecg-wfdb-") as folder:
        for name, content in files.items():
            (Path(folder) / name).write_bytes(content)
        return read_wfdb(Path(folder) / header[: -len(".hea")])


def read_wfdb(record: Path) -> list[Channel]:
    """Channels of the record at `record` (its path without ``.hea``), first 10 s only."""
    import wfdb

    try:
        head = wfdb.rdheader(str(record))
    except Exception as exc:  # wfdb raises bare ValueError/IndexError/... on bad headers
        raise _corrupt("header cannot be read") from exc
    fs = float(head.fs or 0.0)
    if not (math.isfinite(fs) and MIN_FS_HZ <= fs <= MAX_FS_HZ):
        raise Rejection(
            RejectCode.UNSUPPORTED_SAMPLE_RATE,
            f"The record is sampled at {fs:g} Hz; {MIN_FS_HZ:g}-{MAX_FS_HZ:g} Hz recordings "
            "can be screened.",
        )
    if getattr(head, "n_seg", None):
        raise Rejection(RejectCode.UNSUPPORTED_ENCODING, "Multi-segment WFDB records are not read.")
    needed = round(DURATION_S * fs)
    declared = head.sig_len
    if declared is not None and declared < needed:
        raise Rejection(
            RejectCode.RECORD_TOO_SHORT,
            f"The record holds {declared / fs:.1f} s; {DURATION_S:g} s are needed.",
        )
    try:
        signal = wfdb.rdrecord(str(record), sampto=needed, physical=True)
    except FileNotFoundError as exc:
        raise _corrupt("lacks a signal file its header names") from exc
    except Exception as exc:
        raise _corrupt("signal files cannot be read or hold less than its header declares") from exc
    values = signal.p_signal
    if values is None or values.ndim != 2 or values.shape[0] < needed:
        raise Rejection(
            RejectCode.RECORD_TOO_SHORT,
            f"The record's signal files hold less than the {DURATION_S:g} s its header declares.",
        )
    units = list(signal.units or [])
    names = list(signal.sig_name or [])
    return [
        Channel(str(name), values[:, k].astype(float), str(units[k]) if k < len(units) else "", fs)
        for k, name in enumerate(names)
    ]


def pack_record(header: Path, max_bytes: int) -> bytes:
    """The ZIP the API takes, made from a ``.hea`` path and the files beside it.

    The record's files are those named like the header (``s0010_re.hea``, ``.dat``, ``.xyz``);
    nothing is parsed here (that happens in the sandbox). More than `max_bytes` in all is
    FILE_TOO_LARGE, as for any upload.
    """
    files: dict[str, bytes] = {}
    total = 0
    for path in sorted(header.parent.glob(f"{glob.escape(header.stem)}.*")):
        if not path.is_file():
            continue
        with path.open("rb") as handle:
            files[path.name] = handle.read(max_bytes + 1 - total)
        total += len(files[path.name])
        if total > max_bytes:
            raise Rejection(
                RejectCode.FILE_TOO_LARGE, f"The record is larger than {max_bytes // 2**20} MiB."
            )
    return make_archive(files)

"""Untrusted ZIP archives -> their files' bytes, within limits (zip bombs, path tricks).

Over HTTP a record made of several files (WFDB: a ``.hea`` header and its signal files) comes
as one ZIP. Every limit is checked on the central directory before anything is inflated
(entry count, declared total size, compression ratio, names), and then again while inflating,
because declared sizes can lie: reading stops one byte past what an entry declared. Names must
be plain file names: no folders, no ``..``, no absolute paths, nothing that could land outside
the folder a reader extracts to.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

from mtecg.errors import RejectCode, Rejection


@dataclass(frozen=True)
class ArchiveLimits:
    """What one uploaded archive may hold (a 12-lead record is a few files of a few MB)."""

    max_entries: int = 16
    max_total_bytes: int = 64 * 2**20
    #: Inflated / compressed size of one entry; signal data compresses 2-5 x, bombs 1000 x.
    max_ratio: float = 100.0


DEFAULT_ARCHIVE_LIMITS = ArchiveLimits()


def _refuse(why: str) -> Rejection:
    return Rejection(RejectCode.UNSAFE_ARCHIVE, f"The archive is refused: {why}.")


def _plain_name(name: str) -> bool:
    return (
        bool(name)
        and "/" not in name
        and "\\" not in name
        and ":" not in name
        and name not in (".", "..")
        and not name.startswith(".")
        and name.isprintable()
    )


def read_archive(data: bytes, limits: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS) -> dict[str, bytes]:
    """Every file of a flat ZIP, by name; UNSAFE_ARCHIVE or CORRUPT_FILE otherwise."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as exc:
        raise Rejection(RejectCode.CORRUPT_FILE, "The ZIP archive cannot be read.") from exc
    if len(entries) > limits.max_entries:
        raise _refuse(f"{len(entries)} entries, at most {limits.max_entries} allowed")
    names = [entry.filename for entry in entries]
    if len(set(names)) != len(names):
        raise _refuse("it names a file twice")
    if sum(entry.file_size for entry in entries) > limits.max_total_bytes:
        raise _refuse(f"it unpacks to more than {limits.max_total_bytes // 2**20} MiB")
    for entry in entries:
        if entry.is_dir() or not _plain_name(entry.filename):
            raise _refuse("entries must be plain files without folders or paths")
        if entry.flag_bits & 0x1:
            raise _refuse("it is encrypted")
        if entry.file_size > limits.max_ratio * max(entry.compress_size, 1):
            raise _refuse("an entry is compressed more than any signal file (a zip bomb)")
    files: dict[str, bytes] = {}
    try:
        for entry in entries:
            with archive.open(entry) as handle:
                content = handle.read(entry.file_size + 1)
            if len(content) != entry.file_size:
                raise _refuse("an entry's size differs from what it declares")
            files[entry.filename] = content
    except (zipfile.BadZipFile, NotImplementedError, ValueError, OSError, EOFError) as exc:
        raise Rejection(RejectCode.CORRUPT_FILE, "The ZIP archive is damaged.") from exc
    return files


def make_archive(files: dict[str, bytes]) -> bytes:
    """A ZIP of `files` (stored, not deflated: the CLI packs a record for the sandbox)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return out.getvalue()

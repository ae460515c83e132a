"""The run's journal beside its results: what makes `mtecg batch` resumable.

`RESULTS.parts/` holds `run.json` (the run's id and the settings its rows depend on) and the
results so far as numbered Parquet part files. Each part is written to a temporary name,
flushed to disk and renamed, and the folder is flushed too, so a part is whole or absent
whenever the process dies (Ctrl-C, kill -9, power loss). A restart with the same arguments
reads the parts' (path, sha256) pairs and skips those files; a file whose content changed
since gets a new row, and the newest row of a path wins at the merge. The final RESULTS file
is made from the parts only when every input has a row, again atomically; the journal stays,
so a later run over a grown archive screens only the new files.

With `--import-to-log` a chunk is first written as `part-N.pending.parquet`, then recorded in
the database in one transaction, then renamed to its final name. A pending part found at
start is settled by asking the database whether that chunk's transaction committed
(`Importer.committed`): committed, it is kept; not, it is dropped and its files run again.
Nothing is lost and nothing is imported twice.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from mtecg.batch.schema import SCHEMA, STATUS_FAILED, to_table
from mtecg.imageio import fsync_folder, replace_atomically

RUN_FILE: Final = "run.json"
_PART: Final = "part-{:06d}.parquet"
_PENDING: Final = "part-{:06d}.pending.parquet"
OUTPUT_FORMATS: Final = (".parquet", ".csv")


class JournalMismatch(ValueError):
    """The journal beside RESULTS belongs to a run with other settings."""


def journal_folder(out: Path) -> Path:
    return out.with_name(out.name + ".parts")


def _index(path: Path) -> int:
    return int(path.name.split(".")[0].removeprefix("part-"))


class Journal:
    def __init__(self, out: Path, fingerprint: dict[str, Any]) -> None:
        self.folder = journal_folder(out)
        self.folder.mkdir(parents=True, exist_ok=True)
        for stale in self.folder.glob(".*"):  # temporaries of writes that a kill interrupted
            stale.unlink()
        run = self.folder / RUN_FILE
        if run.is_file():
            state = json.loads(run.read_text(encoding="utf-8"))
            if state["fingerprint"] != fingerprint:
                changed = sorted(
                    k for k in fingerprint if state["fingerprint"].get(k) != fingerprint[k]
                )
                raise JournalMismatch(
                    f"{self.folder} holds a run with another {', '.join(changed)}; use another "
                    "--out, or delete that folder to start over"
                )
            self.run_id: str = state["run_id"]
        else:
            self.run_id = uuid.uuid4().hex
            body = json.dumps({"run_id": self.run_id, "fingerprint": fingerprint}, indent=2)
            with replace_atomically(run) as handle:
                handle.write(body.encode())
        existing = [*self.parts(), *self.pending()]
        self._next = max((_index(p) for p in existing), default=-1) + 1

    def parts(self) -> list[Path]:
        return sorted(p for p in self.folder.glob("part-*.parquet") if ".pending" not in p.name)

    def pending(self) -> list[Path]:
        return sorted(self.folder.glob("part-*.pending.parquet"))

    def done(self) -> set[tuple[str, str]]:
        """(path, sha256) of every row so far, but files that could not be read (tried again)."""
        pairs: set[tuple[str, str]] = set()
        for part in self.parts():
            table = pq.read_table(part, columns=["path", "sha256", "status"])
            for path, sha256, status in zip(
                *(table[c].to_pylist() for c in table.column_names), strict=True
            ):
                if status != STATUS_FAILED and sha256 is not None:
                    pairs.add((path, sha256))
        return pairs

    def write(self, rows: list[dict[str, Any]], pending: bool = False) -> Path:
        """One chunk of rows as the next part file (whole or absent); returns its path."""
        index, self._next = self._next, self._next + 1
        table = to_table(rows)
        path = self.folder / (_PENDING if pending else _PART).format(index)
        with replace_atomically(path) as handle:
            pq.write_table(table, handle)
        return path

    def chunk_id(self, part: Path) -> str:
        """The name the database knows this chunk by (run id and part number)."""
        return f"{self.run_id}:{_index(part)}"

    def commit(self, pending: Path) -> Path:
        final = self.folder / _PART.format(_index(pending))
        os.replace(pending, final)
        fsync_folder(self.folder)
        return final

    def discard(self, pending: Path) -> None:
        pending.unlink()
        fsync_folder(self.folder)

    @staticmethod
    def rows(part: Path) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = pq.read_table(part, schema=SCHEMA).to_pylist()
        return rows

    def merge(self, out: Path, paths: Sequence[str]) -> pa.Table:
        """Writes RESULTS from the parts: the newest row of each input path, in input order."""
        tables = [pq.read_table(part, schema=SCHEMA) for part in self.parts()]
        table = pa.concat_tables(tables) if tables else SCHEMA.empty_table()
        newest = {path: i for i, path in enumerate(table["path"].to_pylist())}
        missing = [path for path in paths if path not in newest]
        if missing:
            raise RuntimeError(f"{len(missing)} input(s) have no row, e.g. {missing[0]}")
        table = table.take(pa.array([newest[path] for path in paths], pa.int64()))
        with replace_atomically(out) as handle:
            if out.suffix.lower() == ".csv":
                pa_csv.write_csv(table, handle)
            else:
                pq.write_table(table, handle)
        return table

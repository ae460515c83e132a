"""A package's ONNX graph exported and checked in a child process, for the runtime cache.

Why a child: exporting imports timm (and with it torchvision, torch._dynamo and sympy), builds
the full PyTorch network and runs the check against PyTorch; the memory all that takes stays
with the process that did it (glibc does not hand most of it back), and the server would carry
it, and the timm import, for its whole life. The child does exactly what a first in-process
load does (`onnx_backbone.accelerate`: export, check within the tolerance, store the graph with
its record) and exits; the server then starts from the verified cache like any later start
(`onnx_backbone.from_cache`).

Run by `export_in_child`; as a command: `python -m mtecg.model.graph_export DIR RUNTIME CACHE`.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Final, cast, get_args

from mtecg.model.onnx_backbone import RuntimeRefused
from mtecg.model.package import ModelPackageError
from mtecg.model.runtime import Runtime

#: The child's exit status when the runtime is refused (off the bar, or cannot export).
REFUSED: Final = 3
#: Its exit status when the package itself is unusable.
UNUSABLE: Final = 4


def export_in_child(directory: Path, runtime: Runtime, cache_dir: Path) -> None:
    """Exports, checks and caches `directory`'s graph for `runtime` in a child process.

    Raises `RuntimeRefused` with the child's own message when the runtime is refused, and
    `ModelPackageError` when the package is unusable or the child fails otherwise.
    """
    done = subprocess.run(
        [sys.executable, "-m", __name__, str(directory), runtime, str(cache_dir)],
        capture_output=True,
        text=True,
        check=False,
    )
    reason = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else ""
    if done.returncode == REFUSED:
        raise RuntimeRefused(reason)
    if done.returncode != 0:
        raise ModelPackageError(
            reason or f"exporting the graph failed (exit status {done.returncode})"
        )


def main(argv: list[str]) -> int:
    """The child: load the package, accelerate it into the cache, report a refusal on stderr."""
    from mtecg.model.onnx_backbone import accelerate
    from mtecg.model.package import load_package

    directory, runtime, cache_dir = argv
    if runtime not in get_args(Runtime) or runtime == "torch":
        print(f"not an ONNX runtime: {runtime}", file=sys.stderr)
        return UNUSABLE
    try:
        package = load_package(Path(directory))
        accelerate(package, package.network.eval(), cast(Runtime, runtime), Path(cache_dir))
    except RuntimeRefused as error:
        print(error, file=sys.stderr)
        return REFUSED
    except ModelPackageError as error:
        print(error, file=sys.stderr)
        return UNUSABLE
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

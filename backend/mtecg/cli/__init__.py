"""The `mtecg` command (entry point `mtecg.cli:main`; also `python -m mtecg.cli`).

Exit statuses and the shared options are in `mtecg.cli.output`; each command group has its
module (`screening`, `modelling`, `service`, `accounts`; `mtecg.batch.command` for `batch`).
"""

from mtecg.cli.parser import build_parser, main

__all__ = ["build_parser", "main"]

"""Schema migrations, run from code (`mtecg db ...`, the app's start-up) with no alembic.ini.

The migration scripts live inside the package, so an installed service can migrate itself
wherever it runs.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Final

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

SCRIPTS: Final = Path(__file__).resolve().parent / "migrations"


def head_revision() -> str:
    """The latest revision this code knows."""
    head = ScriptDirectory(str(SCRIPTS)).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """The database's revision (None: an empty database)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, target: str = "head") -> None:
    _run(engine, command.upgrade, target)


def downgrade(engine: Engine, target: str = "-1") -> None:
    _run(engine, command.downgrade, target)


def _run(engine: Engine, step: Callable[[Config, str], None], target: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(SCRIPTS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        step(config, target)

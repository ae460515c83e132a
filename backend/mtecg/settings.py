"""The service's configuration: environment variables with the prefix `MTECG_` (12-factor).

Everything a deployment may need to change is here and nowhere else; the README's
"Configuration" section documents each field. Relative paths are relative to the working
directory the service starts in.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Annotated, Final, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

#: The repository's demo model package, used when MTECG_MODEL_DIR (or `--model`) is not given.
DEFAULT_MODEL: Final = Path(__file__).resolve().parents[2] / "models" / "demo"
SECRET_KEY_FILE: Final = "secret_key"


class MissingSecretError(RuntimeError):
    """MTECG_SECRET_KEY is required (MTECG_REQUIRE_SECRET_KEY) but not set."""


class Settings(BaseSettings):
    """One service's settings; read from the environment when constructed."""

    model_config = SettingsConfigDict(env_prefix="MTECG_", extra="ignore")

    database_url: str = "sqlite:///var/mtecg.db"
    model_dir: Path = DEFAULT_MODEL
    data_dir: Path = Path("var/data")
    secret_key: SecretStr | None = None
    require_secret_key: bool = False
    auth_enabled: bool = True
    default_organisation: str = "default"
    allowed_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    cookie_secure: Literal["auto", "true", "false"] = "auto"
    session_idle_minutes: int = Field(default=30, gt=0)
    session_absolute_hours: int = Field(default=12, gt=0)
    max_upload_bytes: int = Field(default=20 * 2**20, gt=0)
    queue_size: int = Field(default=8, gt=0)
    max_batch: int = Field(default=4, gt=0)
    sandbox_workers: int = Field(default=2, gt=0)
    request_deadline_s: float = Field(default=60.0, gt=0)
    login_max_failures: int = Field(default=5, gt=0)
    login_lockout_s: int = Field(default=300, gt=0)
    device: str = "auto"
    migrate_on_start: bool = False
    host: str = "127.0.0.1"
    port: int = 8000

    @field_validator("allowed_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        """MTECG_ALLOWED_ORIGINS is a comma-separated list, e.g. `https://a.example,https://b`."""
        if isinstance(value, str):
            return [part.strip().rstrip("/") for part in value.split(",") if part.strip()]
        return value

    def resolve_secret_key(self) -> bytes:
        """The HMAC key for patient references (session tokens need none: they are random and
        stored as their plain SHA-256 digest, see db/accounts.py).

        Unset in local use, a random key is made once and kept in DATA_DIR (mode 0600) so that
        hashes stay comparable across restarts; with REQUIRE_SECRET_KEY (containers) a missing
        key stops the service instead, because a key on a throwaway disk would silently change.
        """
        if self.secret_key is not None and self.secret_key.get_secret_value():
            return self.secret_key.get_secret_value().encode()
        if self.require_secret_key:
            raise MissingSecretError("MTECG_SECRET_KEY must be set (MTECG_REQUIRE_SECRET_KEY)")
        path = self.data_dir / SECRET_KEY_FILE
        self.data_dir.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return path.read_bytes().strip()
        with os.fdopen(fd, "wb") as handle:
            handle.write(secrets.token_hex(32).encode())
        return path.read_bytes().strip()

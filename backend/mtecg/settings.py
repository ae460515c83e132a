"""The service's configuration: environment variables with the prefix `MTECG_` (12-factor).

Everything a deployment may need to change is here and nowhere else; the README's
"Configuration" section documents each field. Relative paths are relative to the working
directory the service starts in.
"""

from __future__ import annotations

import os
import secrets
import shutil
from pathlib import Path
from typing import Annotated, Final, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from mtecg.model.runtime import DEFAULT_RUNTIME, Runtime

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
    #: Origins (scheme://host[:port]) whose pages may send state-changing requests: the web
    #: app's public origin. The defaults are the local web app of `make run`.
    allowed_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["http://127.0.0.1:3000", "http://localhost:3000"]
    )
    #: Host header values (without port) the backend answers; anything else gets 400.
    allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["127.0.0.1", "localhost", "::1"]
    )
    #: Peers whose X-Forwarded-For/-Proto are believed (the web app's proxy); IPs or networks.
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=lambda: ["127.0.0.1"])
    #: Generated keys (secret key) live here, outside DATA_DIR, so an image backup has no key.
    key_dir: Path = Path("var/keys")
    audit_checkpoint_file: Path = Path("var/audit/checkpoints.jsonl")
    audit_checkpoint_interval_s: float = Field(default=60.0, gt=0)
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
    #: Failures for one user from all clients together after which every try is slowed down.
    login_user_slow_after: int = Field(default=20, gt=0)
    login_user_delay_s: float = Field(default=2.0, ge=0)
    #: Uploads whose body is still arriving (they hold no model place while they do).
    upload_receivers: int = Field(default=32, gt=0)
    #: A request body must arrive at this average rate (bytes/s) after the grace period.
    body_grace_s: float = Field(default=5.0, gt=0)
    body_min_rate: int = Field(default=100 * 1024, gt=0)
    #: A request's head (line and headers) must be complete this many seconds after it starts.
    header_timeout_s: float = Field(default=10.0, gt=0)
    device: str = "auto"
    #: What runs a CPU model's backbone (`mtecg.model.runtime`): ONNX Runtime FP32 by default,
    #: the fastest that gives PyTorch's probabilities (int8 does not, see docs/operations.md).
    runtime: Runtime = DEFAULT_RUNTIME
    #: Exported ONNX graphs, keyed by the weights' sha256; an unwritable folder only costs an
    #: export at every start.
    runtime_cache_dir: Path = Path("var/runtime")
    migrate_on_start: bool = False
    host: str = "127.0.0.1"
    port: int = 8000
    # The hospital's time zone (IANA name): times in the CSV export are given in it.
    timezone: str = "Asia/Bangkok"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone {value!r} (use an IANA name)") from error
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @field_validator("allowed_origins", "allowed_hosts", "trusted_proxies", mode="before")
    @classmethod
    def _split_list(cls, value: object) -> object:
        """Comma-separated lists, e.g. MTECG_ALLOWED_ORIGINS=`https://a.example,https://b`."""
        if isinstance(value, str):
            return [part.strip().rstrip("/") for part in value.split(",") if part.strip()]
        return value

    def resolve_secret_key(self) -> bytes:
        """The HMAC key for patient references (session tokens need none: they are random and
        stored as their plain SHA-256 digest, see db/accounts.py).

        Unset in local use, a random key is made once and kept in KEY_DIR (mode 0600, folder
        0700) so that hashes stay comparable across restarts; KEY_DIR is not DATA_DIR, so a copy
        of the images never carries the key. A key left in DATA_DIR by an older version is moved
        there once. With REQUIRE_SECRET_KEY (containers) a missing key stops the service instead,
        because a key on a throwaway disk would silently change.
        """
        if self.secret_key is not None and self.secret_key.get_secret_value():
            return self.secret_key.get_secret_value().encode()
        if self.require_secret_key:
            raise MissingSecretError("MTECG_SECRET_KEY must be set (MTECG_REQUIRE_SECRET_KEY)")
        path = self.key_dir / SECRET_KEY_FILE
        self.key_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        legacy = self.data_dir / SECRET_KEY_FILE
        if legacy.is_file() and not path.exists():
            shutil.move(legacy, path)
            os.chmod(path, 0o600)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return path.read_bytes().strip()
        with os.fdopen(fd, "wb") as handle:
            handle.write(secrets.token_hex(32).encode())
        return path.read_bytes().strip()

"""Everything one running service holds: database, model, sandbox, queue; and its start/stop.

Built once by the app's lifespan. Starting never lets a broken model or an unreachable
database kill the process: the service stays live, `/readyz` says what is wrong, and it
becomes ready by itself when the database comes back. The one thing that stops start-up is a
database whose schema is behind this code (unless MIGRATE_ON_START), because serving on it
would fail in ways that look like data loss.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
import uuid
from dataclasses import dataclass

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from mtecg.api import storage
from mtecg.api.admission import Admission
from mtecg.api.attributions import AttributionWorker
from mtecg.api.audit_anchor import AuditAnchor
from mtecg.api.model_worker import ModelWorker
from mtecg.api.throttle import LoginThrottle
from mtecg.db import accounts, audit, migrate
from mtecg.db.engine import make_engine, session_factory
from mtecg.db.models import Screening, User, utcnow
from mtecg.ingest import IngestLimits
from mtecg.ingest.sandbox import Sandbox
from mtecg.memory import trim
from mtecg.model.manifest import ModelManifest
from mtecg.model.package import ModelPackageError
from mtecg.model.predictor import Clinical, Predictor, load_predictor
from mtecg.security.audit_chain import audit_key
from mtecg.settings import Settings

log = logging.getLogger(__name__)


class DatabaseBehindError(RuntimeError):
    """The database schema is older than this code and MIGRATE_ON_START is off."""


@dataclass(frozen=True)
class LoadedModel:
    predictor: Predictor
    worker: ModelWorker
    attributions: AttributionWorker  # lead attributions, after the answer

    @property
    def manifest(self) -> ModelManifest:
        return self.predictor.manifest


def warm_up_clinical(manifest: ModelManifest) -> Clinical | None:
    """A plausible clinical record for the warm-up pass (all flags off, age 50)."""
    inputs = manifest.clinical_inputs
    if inputs is None:
        return None
    return {**dict.fromkeys(inputs.categorical, 0.0), **{n: 50.0 for n, _ in inputs.numerical}}


class Service:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.secret_key = settings.resolve_secret_key()
        self.engine = make_engine(settings.database_url)
        self.sessions: sessionmaker[Session] = session_factory(self.engine)
        self.sessions.configure(info={audit.KEY_INFO: audit_key(self.secret_key)})
        self.audit_anchor = AuditAnchor(
            self.sessions,
            audit_key(self.secret_key),
            settings.audit_checkpoint_file,
            settings.audit_checkpoint_interval_s,
        )
        self.limits = IngestLimits(max_bytes=settings.max_upload_bytes)
        self.admission = Admission(settings.queue_size, settings.upload_receivers)
        self.throttle = LoginThrottle(
            settings.login_max_failures,
            settings.login_lockout_s,
            settings.login_user_slow_after,
            settings.login_user_delay_s,
        )
        self.model: LoadedModel | None = None
        self.model_problem = "the model is loading"
        self.sandbox: Sandbox | None = None
        self._bootstrapped = False
        self._bootstrap_lock = threading.Lock()
        self._started_at = time.time()

    # -- start and stop ---------------------------------------------------------------------

    def start(self) -> None:
        """Checks the schema, makes the first accounts, starts the sandbox, loads the model.

        The sandbox goes first: its worker template is another process, whose imports then run
        on another core while this one loads the model.
        """
        self._check_schema_at_start()
        self.database_problem()  # bootstraps accounts when the database answers
        self.sandbox = Sandbox(workers=self.settings.sandbox_workers)
        self._load_model()
        self.audit_anchor.start()

    def stop(self) -> None:
        self.audit_anchor.stop()
        if self.model is not None:
            self.model.attributions.close()
            self.model.worker.close()
        if self.sandbox is not None:
            self.sandbox.close()
        self.engine.dispose()

    def _check_schema_at_start(self) -> None:
        try:
            current = migrate.current_revision(self.engine)
        except (OperationalError, InterfaceError) as error:
            log.error(
                "database unreachable at start (%s); not ready until it answers",
                type(error.orig).__name__,
            )
            return
        head = migrate.head_revision()
        if current == head:
            return
        if not self.settings.migrate_on_start:
            raise DatabaseBehindError(
                f"database at revision {current or 'empty'}, this code needs {head}: run "
                "`mtecg db upgrade` (or set MTECG_MIGRATE_ON_START=true)"
            )
        log.info("migrating database from %s to %s", current or "empty", head)
        migrate.upgrade(self.engine)

    def _load_model(self) -> None:
        settings = self.settings
        try:
            predictor = load_predictor(
                settings.model_dir,
                settings.device,
                settings.runtime,
                settings.runtime_cache_dir,
                release_torch_backbone=True,
            )
        except ModelPackageError as error:
            self.model_problem = f"model package unusable: {error}"
            log.error("%s", self.model_problem)
            return
        height, width = predictor.manifest.input.canonical_shape
        blank = np.full((height, width, 3), 255, dtype=np.uint8)
        clinical = warm_up_clinical(predictor.manifest)
        predictor.predict_batch([blank], None if clinical is None else [clinical])
        trim()  # what the load (the ONNX export and its check) freed goes back to the system
        self.model = LoadedModel(
            predictor,
            ModelWorker(predictor, self.settings.max_batch),
            AttributionWorker(predictor, busy=lambda: self.admission.in_flight > 0),
        )
        log.info(
            "model %s %s ready on %s (%s)",
            predictor.manifest.id,
            predictor.manifest.version,
            predictor.device,
            predictor.runtime,
        )

    # -- readiness --------------------------------------------------------------------------

    def database_problem(self) -> str | None:
        """None when the database answers at the latest revision; else why not."""
        try:
            current = migrate.current_revision(self.engine)
        except (OperationalError, InterfaceError):
            return "database unreachable"
        if current != migrate.head_revision():
            return f"database migrations behind (at {current or 'empty'})"
        with self._bootstrap_lock:
            if not self._bootstrapped:
                self._bootstrap_accounts()
                self._sweep_orphan_images()
                self._purge_expired_sessions()
                self._bootstrapped = True
        return None

    def readiness_problem(self) -> str | None:
        if self.model is None:
            return self.model_problem
        return self.database_problem()

    def _sweep_orphan_images(self) -> None:
        """Image folders left by uploads whose process died before committing their row."""

        def stored(ids: list[uuid.UUID]) -> set[uuid.UUID]:
            with self.sessions() as db:
                return set(db.scalars(select(Screening.id).where(Screening.id.in_(ids))))

        removed = storage.sweep_orphans(self.settings.data_dir, stored, self._started_at)
        if removed:
            log.warning("removed %d image folder(s) of uploads that were never committed", removed)

    def _purge_expired_sessions(self) -> None:
        with self.sessions.begin() as db:
            purged = accounts.purge_expired_sessions(db, utcnow())
        if purged:
            log.info("purged %d expired session(s)", purged)

    def _bootstrap_accounts(self) -> None:
        """First start: an `admin` with a one-time password (printed once), or the local user."""
        with self.sessions.begin() as db:
            if not self.settings.auth_enabled:
                if accounts.find_user(db, accounts.LOCAL_USER) is None:
                    accounts.create_user(
                        db,
                        accounts.LOCAL_USER,
                        None,
                        role="admin",
                        organisation=self.settings.default_organisation,
                        display_name="Local user",
                    )
                return
            admins = db.scalar(select(func.count()).select_from(User).where(User.role == "admin"))
            if admins:
                return
            password = secrets.token_urlsafe(18)
            user = accounts.create_user(
                db,
                "admin",
                password,
                role="admin",
                organisation=self.settings.default_organisation,
                one_time=True,
            )
            audit.record(db, "user.create", "success", actor="system", object_id=str(user.id))
        # stdout, once, on purpose: the operator needs it; logs (stderr) never carry it.
        print(f"mtecg: created user 'admin' with one-time password: {password}", flush=True)

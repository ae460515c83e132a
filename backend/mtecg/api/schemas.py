"""Response and request bodies, as in docs/API.md; the OpenAPI schema is generated from these."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from mtecg.security import passwords
from mtecg.tasks import Band

Role = Literal["clinician", "admin", "sysadmin"]
SCREENING_AID = (
    "A screening aid, not a diagnosis: interpret it together with the whole clinical picture."
)


class Strict(BaseModel):
    """Request bodies: unknown fields refused, and no coercion (`"ckd": "yes"` or `"1"` is not
    a boolean, `"2500"` not a number), so a client's mistake is a 422, never a guess."""

    model_config = ConfigDict(extra="forbid", strict=True)


class UserOut(BaseModel):
    id: uuid.UUID
    username: str
    display_name: str
    role: Role
    organisation: str


class Me(BaseModel):
    auth_enabled: bool
    # True after a one-time or reset password: only /auth/password (and me, logout) work.
    must_change_password: bool = False
    user: UserOut


class LoginIn(Strict):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class PasswordChangeIn(Strict):
    current_password: str = Field(min_length=1, max_length=1024)
    # The policy (security/passwords.py) refuses it with `weak_password`, not `validation_error`;
    # the schema states the policy's lengths so that clients check the same limits.
    new_password: str = Field(
        min_length=1,
        max_length=1024,
        json_schema_extra={"minLength": passwords.MIN_LENGTH, "maxLength": passwords.MAX_LENGTH},
    )


class AccountOut(BaseModel):
    username: str
    display_name: str
    role: Role
    organisation: str
    disabled: bool
    must_change_password: bool


class PasswordResetOut(BaseModel):
    username: str
    one_time_password: str


class Live(BaseModel):
    status: Literal["live"]


class ModelRef(BaseModel):
    id: str
    version: str


class Ready(BaseModel):
    status: Literal["ready"]
    model: ModelRef


# -- model card -------------------------------------------------------------------------------


class Architecture(BaseModel):
    backbone: str
    variant: str


class InputOut(BaseModel):
    height: int
    width: int
    geometry: str
    profiles: list[str]


class TaskCard(BaseModel):
    label: str
    threshold: float
    reference_marker: float | None


class RiskBandOut(BaseModel):
    name: str
    upper: float | None


class ClinicalField(BaseModel):
    name: str
    type: Literal["boolean", "number"]
    min: float | None = None
    max: float | None = None
    unit: str | None = None


class ClinicalInputsOut(BaseModel):
    fields: list[ClinicalField]


class MetricOut(BaseModel):
    task: str
    name: str
    value: float
    data: str


class ModelCard(BaseModel):
    id: str
    version: str
    weights_sha256: str
    synthetic: bool
    intended_use: str
    training_data: str
    screening_aid: str
    architecture: Architecture
    input: InputOut
    tasks: dict[str, TaskCard]
    risk_bands: list[RiskBandOut]
    clinical_inputs: ClinicalInputsOut | None
    metrics: list[MetricOut]
    card_markdown: str


# -- screenings -------------------------------------------------------------------------------


class CreatedBy(BaseModel):
    id: uuid.UUID
    username: str


class ScreeningModel(BaseModel):
    id: str
    version: str
    weights_sha256: str
    synthetic: bool


class RectificationOut(BaseModel):
    """What straightening a phone photo corrected (see docs/layout.md)."""

    #: Strength of the projective part: the largest relative change of scale across the page.
    perspective: float
    #: The in-plane rotation undone, degrees counter-clockwise as seen.
    rotation_deg: float
    #: Quality: RMS angle (degrees) of the rectified grid lines from the axes; 0 is perfect.
    residual_deg: float


class LayoutOut(BaseModel):
    """How the page was read. Rows stored before a field was recorded have it None."""

    profile: str
    kind: Literal["pdf", "image", "waveform"]
    #: The sniffed format (pdf, png, jpeg, tiff, bmp, webp, heif (HEIC photos too), dicom, wfdb,
    #: edf, muse-xml, hl7-aecg, philips-xml).
    input_type: str | None = None
    px_per_mm: float
    rotation_deg: float
    rhythm_strips: int
    paper_speed_mm_s: float | None
    #: How the leads were printed: 3x4, 6x2, 12x1 or 6x1-2page.
    layout_name: str | None = None
    #: "approximate" when some lead's 3 x 4 window was not on the page and the nearest shown
    #: window was taken instead (a 50 mm/s page shows 5 s).
    time_windows: Literal["exact", "approximate"] | None = None
    #: The printed gain; the model's image is always rescaled to 10 mm/mV.
    gain_mm_mv: float | None = None
    #: The 1-based PDF pages the leads were read from (1 for an image).
    pages: list[int] | None = None
    #: True when the printed lead labels were read (a PDF's text layer, or OCR on a scan or
    #: photo) and agree with the panels; False when none were legible (then the leads rest on
    #: the 3 x 4 geometry alone).
    labels_checked: bool | None = None
    #: For a phone photo that was straightened first; None for pages read as they are.
    rectification: RectificationOut | None = None


class Task(BaseModel):
    label: str
    probability: float
    prediction: bool
    threshold: float
    risk_band: Band
    reference_marker: float | None


class Images(BaseModel):
    canonical: str
    scar: str
    lvef: str


class Timings(BaseModel):
    ingest: float
    layout: float
    predict: float
    explain: float
    total: float


class ScreeningOut(BaseModel):
    id: uuid.UUID
    created_at: datetime
    created_by: CreatedBy
    organisation: str
    patient_ref_hash: str | None
    # The clear patient reference (HN): only for the screening's own organisation, and only on
    # rows stored with it encrypted (older rows have the hash alone).
    patient_ref: str | None = None
    upload_sha256: str
    model: ScreeningModel
    layout: LayoutOut
    clinical: dict[str, bool | float] | None
    tasks: dict[str, Task]
    images: Images
    timings_ms: Timings
    screening_aid: str


class LeadChange(BaseModel):
    lead: str
    change: float  # probability minus the probability with this lead's panel blanked


class TaskAttribution(BaseModel):
    probability: float
    leads: list[LeadChange]  # canonical order: I, II, III, aVR, aVL, aVF, V1 ... V6


class MapSimilarity(BaseModel):
    correlation: float  # Pearson correlation of the scar and LVEF Grad-CAM++ maps
    similar: bool  # correlation >= similar_from: one explanation for both tasks
    similar_from: float


class AttributionModel(BaseModel):
    id: str
    version: str
    weights_sha256: str


class AttributionOut(BaseModel):
    status: Literal["ready", "pending", "unavailable"]
    reason: str | None = None
    model: AttributionModel | None = None
    blank: str | None = None
    tasks: dict[str, TaskAttribution] | None = None
    maps: MapSimilarity | None = None
    compute_ms: float | None = None


class ScreeningPage(BaseModel):
    items: list[ScreeningOut]
    page: int
    page_size: int
    total: int


# -- questionnaire ----------------------------------------------------------------------------


class AssessmentIn(Strict):
    birth_year_be: int = Field(ge=2400, le=2700)
    sex: Literal["female", "male"]
    height_cm: float = Field(gt=50, le=260)
    weight_kg: float = Field(gt=10, le=400)
    diabetes: bool
    prior_mi: bool
    prior_ptca_cabg: bool
    cad: bool
    heart_failure: bool
    hypertension: bool
    ckd: bool


class AssessmentResult(BaseModel):
    probability: float
    risk_band: Band


class AssessmentOut(BaseModel):
    age_years: int
    bmi: float
    results: dict[str, AssessmentResult]
    screening_aid: str

"""Response and request bodies, as in docs/API.md; the OpenAPI schema is generated from these."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Band = Literal["low", "moderate", "high"]
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
    role: Literal["clinician", "admin", "sysadmin"]
    organisation: str


class Me(BaseModel):
    auth_enabled: bool
    user: UserOut


class LoginIn(Strict):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


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


class LayoutOut(BaseModel):
    profile: str
    kind: Literal["pdf", "image"]
    px_per_mm: float
    rotation_deg: float
    rhythm_strips: int
    paper_speed_mm_s: float | None


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
    upload_sha256: str
    model: ScreeningModel
    layout: LayoutOut
    clinical: dict[str, bool | float] | None
    tasks: dict[str, Task]
    images: Images
    timings_ms: Timings
    screening_aid: str


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

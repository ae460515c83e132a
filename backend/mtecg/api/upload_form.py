"""Reading and checking the multipart upload: one file part, a few small fields, nothing else.

The form is parsed here rather than by FastAPI's parameter binding so that the limits are
ours (one file part, a dozen fields, 1 KiB per field), so that the body is read only once the
upload holds a receiving place (see admission.py), and so that unknown fields, which may be a
client's misspelt clinical input, are refused by name instead of silently ignored. Which
clinical fields are required is the loaded model's to say (its manifest); `ScreeningUpload`
describes the form for the OpenAPI schema, built from the same limits the parser applies.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Final, Literal, get_args

from fastapi import Request
from pydantic import BaseModel, ConfigDict, Field, create_model
from pydantic.config import JsonDict
from starlette.datastructures import UploadFile

from mtecg.api.errors import ApiError
from mtecg.layout import PROFILE_NAMES
from mtecg.model.manifest import ModelManifest
from mtecg.training.manifest import CLINICAL_BINARY

FILE_FIELD: Final = "file"
MAX_FIELDS: Final = 12
MAX_FIELD_BYTES: Final = 1024
MAX_PATIENT_REF: Final = 64
#: Accepted ranges and units of numerical clinical inputs the API knows.
NUMERIC_RANGES: Final = {"age": (18.0, 120.0, "years")}
#: How a yes/no clinical field is written in the form (case and surrounding blanks ignored).
FormFlag = Literal["true", "false", "1", "0"]
_TRUE: Final = frozenset({"true", "1"})
_FALSE: Final = frozenset(get_args(FormFlag)) - _TRUE


def _no_default(schema: JsonDict) -> None:
    schema.pop("default", None)


def _optional(**constraints: Any) -> Any:
    """An optional form field whose schema shows no `default: null` (a form has no null)."""
    return Field(None, json_schema_extra=_no_default, **constraints)


_CLINICAL_FIELDS: Final[dict[str, Any]] = {
    **{name: (FormFlag, _optional()) for name in CLINICAL_BINARY},
    **{
        name: (float, _optional(ge=low, le=high, description=unit))
        for name, (low, high, unit) in NUMERIC_RANGES.items()
    },
}


#: The upload's fields and limits as the OpenAPI schema shows them (clients and the web app
#: read it); the clinical fields are those of the published model, each optional here because
#: a model without clinical inputs refuses them.
ScreeningUpload: type[BaseModel] = create_model(
    "ScreeningUpload",
    __config__=ConfigDict(extra="forbid"),
    file=(bytes, Field(description="the printout or waveform file; one file part only")),
    patient_ref=(str, _optional(max_length=MAX_PATIENT_REF)),
    profile=(str, _optional(description="auto (default) or a named layout profile")),
    **_CLINICAL_FIELDS,
)
COMPONENT_REF: Final = "#/components/schemas/{model}"
#: The upload route's request body in the OpenAPI schema (openapi.py adds the component).
UPLOAD_OPENAPI: Final = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {"$ref": COMPONENT_REF.format(model=ScreeningUpload.__name__)}
            }
        },
    }
}


@dataclass(frozen=True)
class UploadForm:
    data: bytes
    patient_ref: str | None
    profile: str
    clinical: dict[str, float] | None  # as the predictor takes it (flags 0/1)
    clinical_json: dict[str, Any] | None  # as stored and returned (flags as booleans)


def invalid(field: str, message: str) -> ApiError:
    return ApiError(422, "validation_error", f"{field}: {message}", field=field)


async def read_upload_form(request: Request, manifest: ModelManifest, max_bytes: int) -> UploadForm:
    data, fields = await read_file_and_fields(request, max_bytes)
    patient_ref = parse_patient_ref(fields.pop("patient_ref", None))
    profile = _profile(fields.pop("profile", None), manifest)
    clinical, clinical_json = parse_clinical(fields, manifest)
    return UploadForm(data, patient_ref, profile, clinical, clinical_json)


async def read_file_and_fields(request: Request, max_bytes: int) -> tuple[bytes, dict[str, str]]:
    """The one file part (at most `max_bytes`) and the small text fields, checked as above."""
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise ApiError(400, "bad_request", "Send the file as multipart/form-data.")
    form = await request.form(max_files=1, max_fields=MAX_FIELDS, max_part_size=MAX_FIELD_BYTES)
    try:
        upload: UploadFile | None = None
        fields: dict[str, str] = {}
        for name, value in form.multi_items():
            if name in fields or (name == FILE_FIELD and upload is not None):
                raise invalid(name, "given more than once")
            if isinstance(value, UploadFile):
                if name != FILE_FIELD:
                    raise invalid(name, "only the `file` field may hold a file")
                upload = value
            elif name == FILE_FIELD:
                raise invalid(FILE_FIELD, "must be a file")
            else:
                fields[name] = value
        if upload is None:
            raise invalid(FILE_FIELD, "a printout or waveform file is required")
        data = await upload.read(max_bytes + 1)
    finally:
        await form.close()
    if len(data) > max_bytes:
        raise ApiError(413, "file_too_large", f"The file is larger than {max_bytes} bytes.")
    return data, fields


def parse_patient_ref(value: str | None) -> str | None:
    """The trimmed reference, or None when blank (also the rule for `mtecg batch` manifests)."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    if len(value) > MAX_PATIENT_REF or not value.isprintable():
        raise invalid("patient_ref", f"at most {MAX_PATIENT_REF} printable characters")
    return value


def _profile(value: str | None, manifest: ModelManifest) -> str:
    if value is None or not value:
        return manifest.input.profiles[0]
    if value not in PROFILE_NAMES or value not in manifest.input.profiles:
        raise invalid(
            "profile", f"must be one of {', '.join(manifest.input.profiles)} for this model"
        )
    return value


def parse_clinical(
    fields: dict[str, str], manifest: ModelManifest
) -> tuple[dict[str, float] | None, dict[str, Any] | None]:
    """Form (or manifest) text -> (predictor's values, stored values); unknown names refused."""
    inputs = manifest.clinical_inputs
    expected = () if inputs is None else (*inputs.categorical, *(n for n, _ in inputs.numerical))
    for name in sorted(fields):
        if name not in expected:
            raise invalid(
                name, "unknown field" if inputs else "this model takes no clinical inputs"
            )
    if inputs is None:
        return None, None
    values: dict[str, float] = {}
    shown: dict[str, Any] = {}
    for name in expected:
        raw = fields.get(name)
        if raw is None or not raw.strip():
            raise invalid(name, "required by this model")
        text = raw.strip().lower()
        if name in inputs.categorical:
            if text not in _TRUE | _FALSE:
                raise invalid(name, "must be true or false")
            shown[name] = text in _TRUE
            values[name] = float(shown[name])
            continue
        try:
            number = float(text)
        except ValueError:
            raise invalid(name, "must be a number") from None
        low, high, _unit = NUMERIC_RANGES.get(name, (-math.inf, math.inf, None))
        if not math.isfinite(number) or not low <= number <= high:
            raise invalid(name, f"must be between {low:g} and {high:g}")
        values[name] = shown[name] = number
    return values, shown

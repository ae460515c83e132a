"""`model.json`: what a model package says about itself, as frozen pydantic models.

Every fact about a trained model that the app uses - architecture, input size and
normalisation, which canonical geometry it was trained on, thresholds, risk bands, reference
markers, provenance - lives here rather than in code, so a new model is a new folder.

The models below are the one definition of the file: they parse it (`manifest_from_json`),
write it (`ModelManifest.to_json`) and publish its JSON schema (`manifest_json_schema`, checked
in as models/model.schema.json). Loading is strict JSON: a boolean where a number belongs, a
number in a string or an unknown key inside a section is an error naming the field, never a
silent coercion. Unknown top-level keys (such as `training` or `imported_from`) are kept, so a
package written by a newer tool still loads and round-trips.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import partial
from typing import Annotated, Any, Final, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    PositiveFloat,
    PositiveInt,
    ValidationError,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import ErrorDetails

from mtecg.geometry import CANONICAL_H_PX, CANONICAL_W_PX
from mtecg.layout.profiles import PROFILES
from mtecg.model.architecture import NetworkSpec
from mtecg.tasks import TASKS

FORMAT: Final = "mtecg-model-package"
FORMAT_VERSION: Final = 1


@dataclass(frozen=True)
class Geometry:
    """A canonical image a model can be trained on: the layout profiles that make it (the first
    is the default) and its (height, width) in pixels."""

    profiles: tuple[str, ...]
    shape: tuple[int, int]


_PLAIN_CROP: Final = PROFILES["siriraj-plain"].crop  # the published "old format", used as is
GEOMETRIES: Final = {
    "canonical-6x2": Geometry(("auto", "siriraj-grid"), (CANONICAL_H_PX, CANONICAL_W_PX)),
    "siriraj-plain": Geometry(
        ("siriraj-plain",), (_PLAIN_CROP[3] - _PLAIN_CROP[1], _PLAIN_CROP[2] - _PLAIN_CROP[0])
    ),
}


def _one_of(names: tuple[str, ...], value: str) -> str:
    if value not in names:
        raise ValueError(f"must be one of {', '.join(names)}")
    return value


# Typed `str` for the code (which checks names it takes from users itself); an enum in the
# published schema.
GeometryName = Annotated[
    str,
    AfterValidator(partial(_one_of, tuple(GEOMETRIES))),
    WithJsonSchema({"type": "string", "enum": list(GEOMETRIES)}),
]
Interpolation = Annotated[
    str,
    AfterValidator(partial(_one_of, ("area", "linear"))),
    WithJsonSchema({"type": "string", "enum": ["area", "linear"]}),
]
Probability = Annotated[float, Field(ge=0.0, le=1.0)]
Triple = tuple[float, float, float]


class ManifestError(ValueError):
    """model.json is malformed; the message names the offending field."""


class _Section(BaseModel):
    """A frozen, closed part of model.json: an unknown key inside a section is an error."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class InputSpec(_Section):
    """How a canonical image becomes the network's tensor."""

    size: tuple[PositiveInt, PositiveInt] = Field(description="[height, width] in pixels")
    mean: Triple
    std: tuple[PositiveFloat, PositiveFloat, PositiveFloat]
    interpolation: Interpolation
    geometry: GeometryName

    @property
    def height(self) -> int:
        return self.size[0]

    @property
    def width(self) -> int:
        return self.size[1]

    @property
    def profiles(self) -> tuple[str, ...]:
        """Layout profiles whose canonical image this model was trained on."""
        return GEOMETRIES[self.geometry].profiles

    @property
    def canonical_shape(self) -> tuple[int, int]:
        """(height, width) of the canonical image this model expects."""
        return GEOMETRIES[self.geometry].shape


def _numerical_pairs(value: Any) -> Any:
    """model.json's `[{"name", "divisor"}]` as (name, divisor) pairs, the form the code uses."""
    if isinstance(value, list) and all(isinstance(item, dict) for item in value):
        for item in value:
            if set(item) != {"name", "divisor"}:
                raise ValueError("each numerical input is {name, divisor}")
        return tuple((item["name"], item["divisor"]) for item in value)
    return value


NumericalInputs = Annotated[
    tuple[tuple[str, PositiveFloat], ...],
    BeforeValidator(_numerical_pairs),
    PlainSerializer(lambda pairs: [{"name": n, "divisor": d} for n, d in pairs]),
    WithJsonSchema(
        {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "divisor": {"type": "number", "exclusiveMinimum": 0},
                },
                "required": ["name", "divisor"],
                "additionalProperties": False,
            },
        }
    ),
]


class ClinicalInputs(_Section):
    """Names of the clinical inputs in network order; numerical ones with their divisor."""

    categorical: tuple[str, ...]
    numerical: NumericalInputs


class TaskSpec(_Section):
    """Per-task operating point and the reference marker shown beside its bar (None: unknown)."""

    threshold: Probability
    reference_marker: Probability | None


class RiskBand(_Section):
    """A band applies to probabilities below `upper` (None: no upper bound)."""

    name: str
    upper: Probability | None


class Metric(_Section):
    """One measured figure and the data it was measured on."""

    task: str
    name: str
    value: float
    data: str


class WeightsInfo(_Section):
    """The weights file and what its bytes must hash to."""

    file: str
    sha256: str = Field(pattern="^[0-9a-f]{64}$")
    size: PositiveInt


class ModelManifest(_Section):
    """The parsed model.json."""

    model_config = ConfigDict(frozen=True, extra="allow")

    format: Literal["mtecg-model-package"] = FORMAT
    format_version: Literal[1] = FORMAT_VERSION
    id: str
    version: str
    architecture: NetworkSpec
    heads: tuple[Literal["scar"], Literal["lvef"]] = Field(
        default=TASKS, description="the network's output order"
    )
    classes: tuple[Literal["negative"], Literal["positive"]] = ("negative", "positive")
    input: InputSpec
    clinical_inputs: ClinicalInputs | None = None
    tasks: dict[str, TaskSpec] = Field(description="exactly the heads, by name")
    risk_bands: tuple[RiskBand, ...] = Field(min_length=1)
    intended_use: str
    training_data: str
    synthetic: bool
    metrics: tuple[Metric, ...] = ()
    weights: WeightsInfo | None = None
    # Provenance, written only when known: how `mtecg train` made the model (config, history,
    # split sizes) or which published checkpoint `mtecg import-checkpoint` converted.
    training: dict[str, Any] | None = None
    imported_from: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _consistent(self) -> ModelManifest:
        if set(self.tasks) != set(TASKS):
            raise ValueError(f"tasks must describe exactly {', '.join(TASKS)}")
        uppers = [band.upper for band in self.risk_bands]
        bounded = [u for u in uppers[:-1] if u is not None]
        if uppers[-1] is not None or len(bounded) != len(uppers) - 1 or bounded != sorted(bounded):
            raise ValueError("risk_bands must rise and end with an open band (upper null)")
        clinical, inputs = self.architecture.clinical, self.clinical_inputs
        if clinical is None and inputs is not None:
            raise ValueError("clinical_inputs is given but the network takes none")
        if clinical is not None and inputs is None:
            raise ValueError("clinical_inputs is missing for a clinical network")
        if (
            clinical is not None
            and inputs is not None
            and (len(inputs.categorical), len(inputs.numerical))
            != (clinical.num_categorical_features, clinical.num_numerical_features)
        ):
            raise ValueError("clinical_inputs do not match the network's feature counts")
        return self

    def risk_band(self, probability: float) -> str:
        """The name of the first band whose upper bound lies above `probability`."""
        for band in self.risk_bands:
            if band.upper is None or probability < band.upper:
                return band.name
        raise ValueError(f"no risk band covers {probability}")

    def with_weights(self, weights: WeightsInfo) -> ModelManifest:
        return self.replace(weights=weights)

    def replace(self, **changes: Any) -> ModelManifest:
        """A copy with some fields changed, validated again (unlike `model_copy`)."""
        return ModelManifest.model_validate(
            {**self.__dict__, **(self.model_extra or {}), **changes}
        )

    def to_json(self) -> dict[str, Any]:
        """model.json as a JSON-able dict (the inverse of `manifest_from_json`); the optional
        provenance sections are left out rather than written as null."""
        absent = {name for name in _PROVENANCE if getattr(self, name) is None}
        return self.model_dump(mode="json", exclude=absent)


_PROVENANCE: Final = ("training", "imported_from")


def _where(error: ErrorDetails) -> str:
    return ".".join(str(part) for part in error["loc"]) or "model"


def manifest_from_json(data: Any) -> ModelManifest:
    """Parses and checks a loaded model.json; raises `ManifestError` naming the bad field."""
    if not isinstance(data, dict):
        raise ManifestError("model.json must hold a JSON object")
    if data.get("format") != FORMAT or data.get("format_version") != FORMAT_VERSION:
        raise ManifestError(f"model.json is not a {FORMAT} version {FORMAT_VERSION} file")
    try:
        # Validated as JSON text, where strict mode means JSON types: arrays for tuples,
        # integers for floats, but no booleans for numbers and no numbers in strings.
        manifest = ModelManifest.model_validate_json(json.dumps(data), strict=True)
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        where = _where(first)
        if first["type"] == "missing":
            raise ManifestError(f"{where} is missing") from None
        raise ManifestError(f"{where}: {first['msg']}") from None
    if manifest.weights is None:
        raise ManifestError("weights is missing")
    return manifest


def manifest_json_schema() -> dict[str, Any]:
    """The JSON schema of model.json as a package holds it (published as
    models/model.schema.json): what the models accept, with the format marker and the weights
    required, as `manifest_from_json` requires them of a file."""
    schema = ModelManifest.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "mtecg model package manifest (model.json)"
    schema["properties"]["weights"] = {"$ref": "#/$defs/WeightsInfo"}
    schema["required"] = sorted({*schema["required"], "format", "format_version", "weights"})
    return schema

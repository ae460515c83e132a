"""`model.json`: what a model package says about itself, read and checked field by field.

Every fact about a trained model that the app uses - architecture, input size and
normalisation, which canonical geometry it was trained on, thresholds, risk bands, reference
markers, provenance - lives here rather than in code, so a new model is a new folder.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Final, TypeVar

from mtecg.geometry import CANONICAL_H_PX, CANONICAL_W_PX
from mtecg.layout.profiles import PROFILES
from mtecg.model.architecture import ClinicalSpec, NetworkSpec, spec_to_json

FORMAT: Final = "mtecg-model-package"
FORMAT_VERSION: Final = 1
HEADS: Final = ("scar", "lvef")  # the order of the network's outputs


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
INTERPOLATIONS: Final = ("area", "linear")

T = TypeVar("T")


class ManifestError(ValueError):
    """model.json is malformed; the message names the offending field."""


def _get(data: Mapping[str, Any], key: str, kind: type[T] | tuple[type, ...], where: str) -> T:
    if not isinstance(data, Mapping) or key not in data:
        raise ManifestError(f"{where}.{key} is missing")
    value = data[key]
    # bool is an int in Python; a flag where a number belongs (or the reverse) is an error.
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if isinstance(value, bool) and bool not in kinds:
        raise ManifestError(f"{where}.{key} must be {kinds[0].__name__}, not a boolean")
    if not isinstance(value, kinds):
        raise ManifestError(f"{where}.{key} must be {kinds[0].__name__}, got {value!r}")
    return value  # type: ignore[return-value]


@dataclass(frozen=True)
class InputSpec:
    """How a canonical image becomes the network's tensor."""

    height: int
    width: int
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    interpolation: str
    geometry: str

    @property
    def profiles(self) -> tuple[str, ...]:
        """Layout profiles whose canonical image this model was trained on."""
        return GEOMETRIES[self.geometry].profiles

    @property
    def canonical_shape(self) -> tuple[int, int]:
        """(height, width) of the canonical image this model expects."""
        return GEOMETRIES[self.geometry].shape


@dataclass(frozen=True)
class ClinicalInputs:
    """Names of the clinical inputs in network order; numerical ones with their divisor."""

    categorical: tuple[str, ...]
    numerical: tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class TaskSpec:
    """Per-task operating point and the reference marker shown beside its bar (None: unknown)."""

    threshold: float
    reference_marker: float | None


@dataclass(frozen=True)
class RiskBand:
    """A band applies to probabilities below `upper` (None: no upper bound)."""

    name: str
    upper: float | None


@dataclass(frozen=True)
class Metric:
    """One measured figure and the data it was measured on."""

    task: str
    name: str
    value: float
    data: str


@dataclass(frozen=True)
class WeightsInfo:
    """The weights file and what its bytes must hash to."""

    file: str
    sha256: str
    size: int


@dataclass(frozen=True)
class ModelManifest:
    """The parsed model.json."""

    id: str
    version: str
    architecture: NetworkSpec
    input: InputSpec
    tasks: dict[str, TaskSpec]
    risk_bands: tuple[RiskBand, ...]
    intended_use: str
    training_data: str
    synthetic: bool
    clinical_inputs: ClinicalInputs | None = None
    metrics: tuple[Metric, ...] = ()
    weights: WeightsInfo | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def risk_band(self, probability: float) -> str:
        """The name of the first band whose upper bound lies above `probability`."""
        for band in self.risk_bands:
            if band.upper is None or probability < band.upper:
                return band.name
        raise ValueError(f"no risk band covers {probability}")

    def with_weights(self, weights: WeightsInfo) -> ModelManifest:
        return replace(self, weights=weights)

    def to_json(self) -> dict[str, Any]:
        clinical = self.clinical_inputs
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "id": self.id,
            "version": self.version,
            "architecture": spec_to_json(self.architecture),
            "heads": list(HEADS),
            "classes": ["negative", "positive"],
            "input": {
                "size": [self.input.height, self.input.width],
                "mean": list(self.input.mean),
                "std": list(self.input.std),
                "interpolation": self.input.interpolation,
                "geometry": self.input.geometry,
            },
            "clinical_inputs": None
            if clinical is None
            else {
                "categorical": list(clinical.categorical),
                "numerical": [{"name": n, "divisor": d} for n, d in clinical.numerical],
            },
            "tasks": {
                name: {"threshold": t.threshold, "reference_marker": t.reference_marker}
                for name, t in self.tasks.items()
            },
            "risk_bands": [{"name": b.name, "upper": b.upper} for b in self.risk_bands],
            "intended_use": self.intended_use,
            "training_data": self.training_data,
            "synthetic": self.synthetic,
            "metrics": [m.__dict__ for m in self.metrics],
            "weights": None if self.weights is None else self.weights.__dict__,
            **self.extra,
        }


_KNOWN_KEYS: Final = frozenset(ModelManifest.__dataclass_fields__) | {
    "format",
    "format_version",
    "heads",
    "classes",
}


def _triple(data: Mapping[str, Any], key: str, where: str) -> tuple[float, float, float]:
    values = _get(data, key, list, where)
    if len(values) != 3 or not all(isinstance(v, int | float) for v in values):
        raise ManifestError(f"{where}.{key} must be three numbers")
    return (float(values[0]), float(values[1]), float(values[2]))


def _probability(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise ManifestError(f"{where} must be a probability in [0, 1], got {value!r}")
    return float(value)


def _optional_probability(value: Any, where: str) -> float | None:
    return None if value is None else _probability(value, where)


def _architecture(data: Mapping[str, Any]) -> NetworkSpec:
    where = "architecture"
    raw: dict[str, Any] | None = _get(data, "clinical", (dict, type(None)), where)
    try:
        clinical = None
        if raw is not None:
            part = f"{where}.clinical"
            clinical = ClinicalSpec(
                embedding_size=_get(raw, "embedding_size", int, part),
                rnn_type=_get(raw, "rnn_type", str, part),
                rnn_output_size=_get(raw, "rnn_output_size", int, part),
                num_rnn_layers=_get(raw, "num_rnn_layers", int, part),
                num_categorical_features=_get(raw, "num_categorical_features", int, part),
                num_numerical_features=_get(raw, "num_numerical_features", int, part),
            )
        return NetworkSpec(
            backbone=_get(data, "backbone", str, where),
            variant=_get(data, "variant", str, where),
            latent_dim=_get(data, "latent_dim", int, where),
            bias_head=_get(data, "bias_head", bool, where),
            in_channels=_get(data, "in_channels", int, where),
            clinical=clinical,
        )
    except ValueError as error:
        raise ManifestError(f"{where}: {error}") from None


def _input(data: Mapping[str, Any]) -> InputSpec:
    where = "input"
    size = _get(data, "size", list, where)
    if len(size) != 2 or not all(isinstance(v, int) and v > 0 for v in size):
        raise ManifestError(f"{where}.size must be [height, width] in pixels")
    interpolation = _get(data, "interpolation", str, where)
    if interpolation not in INTERPOLATIONS:
        raise ManifestError(f"{where}.interpolation must be one of {', '.join(INTERPOLATIONS)}")
    geometry = _get(data, "geometry", str, where)
    if geometry not in GEOMETRIES:
        raise ManifestError(f"{where}.geometry must be one of {', '.join(GEOMETRIES)}")
    std = _triple(data, "std", where)
    if min(std) <= 0:
        raise ManifestError(f"{where}.std must be positive")
    return InputSpec(size[0], size[1], _triple(data, "mean", where), std, interpolation, geometry)


def _clinical_inputs(data: Mapping[str, Any] | None, spec: NetworkSpec) -> ClinicalInputs | None:
    if spec.clinical is None:
        if data is not None:
            raise ManifestError("clinical_inputs is given but the network takes none")
        return None
    if data is None:
        raise ManifestError("clinical_inputs is missing for a clinical network")
    categorical = tuple(_get(data, "categorical", list, "clinical_inputs"))
    numerical = tuple(
        (
            _get(item, "name", str, "clinical_inputs.numerical[]"),
            float(_get(item, "divisor", (int, float), "clinical_inputs.numerical[]")),
        )
        for item in _get(data, "numerical", list, "clinical_inputs")
    )
    if len(categorical) != spec.clinical.num_categorical_features or len(numerical) != (
        spec.clinical.num_numerical_features
    ):
        raise ManifestError("clinical_inputs do not match the network's feature counts")
    return ClinicalInputs(categorical, numerical)


def manifest_from_json(data: Any) -> ModelManifest:
    """Parses and checks a loaded model.json; raises `ManifestError` naming the bad field."""
    if not isinstance(data, dict):
        raise ManifestError("model.json must hold a JSON object")
    if data.get("format") != FORMAT or data.get("format_version") != FORMAT_VERSION:
        raise ManifestError(f"model.json is not a {FORMAT} version {FORMAT_VERSION} file")
    if data.get("heads") != list(HEADS):
        raise ManifestError(f"heads must be {list(HEADS)} (the network's output order)")
    architecture = _architecture(_get(data, "architecture", dict, "model"))
    raw_tasks = _get(data, "tasks", dict, "model")
    if set(raw_tasks) != set(HEADS):
        raise ManifestError(f"tasks must describe exactly {', '.join(HEADS)}")
    tasks = {
        name: TaskSpec(
            threshold=_probability(
                _get(raw_tasks, name, dict, "tasks").get("threshold"), f"tasks.{name}.threshold"
            ),
            reference_marker=_optional_probability(
                raw_tasks[name].get("reference_marker"), f"tasks.{name}.reference_marker"
            ),
        )
        for name in HEADS
    }
    bands = tuple(
        RiskBand(
            _get(band, "name", str, "risk_bands[]"),
            _optional_probability(band.get("upper"), "risk_bands[].upper"),
        )
        for band in _get(data, "risk_bands", list, "model")
    )
    uppers = [b.upper for b in bands]
    if (
        not bands
        or uppers[-1] is not None
        or None in uppers[:-1]
        or uppers[:-1]
        != sorted(
            uppers[:-1]  # type: ignore[type-var]
        )
    ):
        raise ManifestError("risk_bands must rise and end with an open band (upper null)")
    metrics = tuple(
        Metric(
            _get(m, "task", str, "metrics[]"),
            _get(m, "name", str, "metrics[]"),
            float(_get(m, "value", (int, float), "metrics[]")),
            _get(m, "data", str, "metrics[]"),
        )
        for m in _get(data, "metrics", list, "model")
    )
    raw_weights = _get(data, "weights", dict, "model")
    weights = WeightsInfo(
        _get(raw_weights, "file", str, "weights"),
        _get(raw_weights, "sha256", str, "weights"),
        _get(raw_weights, "size", int, "weights"),
    )
    return ModelManifest(
        id=_get(data, "id", str, "model"),
        version=_get(data, "version", str, "model"),
        architecture=architecture,
        input=_input(_get(data, "input", dict, "model")),
        tasks=tasks,
        risk_bands=bands,
        intended_use=_get(data, "intended_use", str, "model"),
        training_data=_get(data, "training_data", str, "model"),
        synthetic=_get(data, "synthetic", bool, "model"),
        clinical_inputs=_clinical_inputs(
            _get(data, "clinical_inputs", (dict, type(None)), "model"), architecture
        ),
        metrics=metrics,
        weights=weights,
        extra={k: v for k, v in data.items() if k not in _KNOWN_KEYS},
    )

"""The model card: everything the loaded package says about itself, for the UI and clients."""

from __future__ import annotations

from fastapi import APIRouter

from mtecg.api.deps import ModelDep
from mtecg.api.schemas import SCREENING_AID, ModelCard
from mtecg.api.upload_form import NUMERIC_RANGES
from mtecg.model.manifest import ModelManifest
from mtecg.model.package import model_card
from mtecg.tasks import TASK_LABELS

router = APIRouter(tags=["model"])


def card(manifest: ModelManifest) -> ModelCard:
    clinical = manifest.clinical_inputs
    fields: list[dict[str, object]] = []
    if clinical is not None:
        fields = [{"name": name, "type": "boolean"} for name in clinical.categorical]
        for name, _divisor in clinical.numerical:
            low, high, unit = NUMERIC_RANGES.get(name, (None, None, None))
            fields.append({"name": name, "type": "number", "min": low, "max": high, "unit": unit})
    assert manifest.weights is not None  # a loaded package always has them
    return ModelCard.model_validate(
        {
            "id": manifest.id,
            "version": manifest.version,
            "weights_sha256": manifest.weights.sha256,
            "synthetic": manifest.synthetic,
            "intended_use": manifest.intended_use,
            "training_data": manifest.training_data,
            "screening_aid": SCREENING_AID,
            "architecture": {
                "backbone": manifest.architecture.backbone,
                "variant": manifest.architecture.variant,
            },
            "input": {
                "height": manifest.input.height,
                "width": manifest.input.width,
                "geometry": manifest.input.geometry,
                "profiles": list(manifest.input.profiles),
            },
            "tasks": {
                name: {
                    "label": TASK_LABELS[name],
                    "threshold": spec.threshold,
                    "reference_marker": spec.reference_marker,
                }
                for name, spec in manifest.tasks.items()
            },
            "risk_bands": [{"name": b.name, "upper": b.upper} for b in manifest.risk_bands],
            "clinical_inputs": None if clinical is None else {"fields": fields},
            "metrics": [m.__dict__ for m in manifest.metrics],
            "card_markdown": model_card(manifest),
        }
    )


@router.get("/model", responses={503: {"description": "not_ready"}})
def get_model(model: ModelDep) -> ModelCard:
    return card(model.manifest)

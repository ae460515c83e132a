"""A screening as a FHIR R4 Bundle, for putting the result back into the patient record.

Built from the same `ScreeningOut` the detail route returns, so FHIR says exactly what the API
and the web app say. Contents (a ``collection`` Bundle):

- DiagnosticReport: the ECG screening, its results, the screening-aid statement as its
  conclusion, the canonical image and overlays as media, the patient as an identifier when
  the screening carries one the user may see;
- one Observation per task: probability as valueQuantity (UCUM ``1``), the threshold decision
  as interpretation (POS / NEG), the risk band in text, the screening-aid note, the model as
  its device;
- Device: the model (id, version, weights sha256 as identifiers; synthetic or not), with the
  model card as its documentation (HL7's AI Transparency on FHIR: the model is the device a
  result came from, and its card the device's documentation), carried in a DocumentReference;
- Media: the canonical 6 x 2 image and the two Grad-CAM++ overlays, as links.

Ids are UUIDv5 of the screening id, so one screening always gives the same Bundle.
"""

from __future__ import annotations

import base64
import uuid
from typing import Any, Final

from mtecg.api.schemas import ModelCard, ScreeningOut

LOINC: Final = "http://loinc.org"
INTERPRETATION: Final = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
UCUM: Final = "http://unitsofmeasure.org"
ID_SYSTEM: Final = "urn:mtecg"
_ECG_STUDY: Final = {"system": LOINC, "code": "11524-6", "display": "EKG study"}
_IMAGE_TITLES: Final = {
    "canonical": "ECG, 12 leads (canonical 6 x 2 image)",
    "scar": "Grad-CAM++ overlay: myocardial scar",
    "lvef": "Grad-CAM++ overlay: LVEF < 50 %",
}


def _id(screening: ScreeningOut, part: str) -> str:
    return str(uuid.uuid5(screening.id, part))


def _ref(screening: ScreeningOut, part: str) -> dict[str, str]:
    return {"reference": f"urn:uuid:{_id(screening, part)}"}


def _patient(screening: ScreeningOut) -> dict[str, Any] | None:
    """The patient as a logical reference by identifier (no Patient resource is kept).

    The HN itself when this viewer may see it (`ScreeningOut.patient_ref` is set only for the
    screening's own organisation); otherwise, and for rows stored before HN encryption, the
    keyed hash, under its own system so that nobody mistakes it for an HN.
    """
    if screening.patient_ref is not None:
        return {
            "identifier": {"system": f"{ID_SYSTEM}:patient-ref", "value": screening.patient_ref},
            "display": "patient reference (HN)",
        }
    if screening.patient_ref_hash is None:
        return None
    return {
        "identifier": {
            "system": f"{ID_SYSTEM}:patient-ref-hmac",
            "value": screening.patient_ref_hash,
        },
        "display": "patient reference (keyed hash)",
    }


def _device(screening: ScreeningOut, card: ModelCard | None) -> dict[str, Any]:
    model = screening.model
    status = "trained on synthetic data, not for clinical use" if model.synthetic else "clinical"
    device: dict[str, Any] = {
        "resourceType": "Device",
        "id": _id(screening, "device"),
        "identifier": [
            {"system": f"{ID_SYSTEM}:model-id", "value": model.id},
            {"system": f"{ID_SYSTEM}:weights-sha256", "value": model.weights_sha256},
        ],
        "deviceName": [{"name": f"mtecg model {model.id}", "type": "model-name"}],
        "type": {"text": "AI/ML screening model (software)"},
        "version": [{"value": model.version}],
        "note": [{"text": f"Model status: {status}."}],
    }
    if card is not None:
        device["note"].append({"text": f"Intended use: {card.intended_use}"})
    return device


def _card_document(screening: ScreeningOut, card: ModelCard) -> dict[str, Any]:
    return {
        "resourceType": "DocumentReference",
        "id": _id(screening, "model-card"),
        "status": "current",
        "type": {"text": "Model card"},
        "description": f"Model card of {card.id} {card.version}",
        "content": [
            {
                "attachment": {
                    "contentType": "text/markdown",
                    "title": "Model card",
                    "data": base64.b64encode(card.card_markdown.encode()).decode("ascii"),
                }
            }
        ],
        "context": {"related": [_ref(screening, "device")]},
    }


def _observation(screening: ScreeningOut, name: str, subject: Any) -> dict[str, Any]:
    task = screening.tasks[name]
    decision = "POS" if task.prediction else "NEG"
    observation: dict[str, Any] = {
        "resourceType": "Observation",
        "id": _id(screening, f"observation-{name}"),
        "status": "final",
        "category": [{"text": "AI screening of a 12-lead ECG"}],
        "code": {"text": f"Probability of {task.label} (AI screening of a 12-lead ECG)"},
        "effectiveDateTime": screening.created_at.isoformat(),
        "valueQuantity": {
            "value": round(task.probability, 6),
            "unit": "probability",
            "system": UCUM,
            "code": "1",
        },
        "interpretation": [
            {
                "coding": [
                    {
                        "system": INTERPRETATION,
                        "code": decision,
                        "display": "Positive" if task.prediction else "Negative",
                    }
                ],
                "text": (
                    f"{'At or above' if task.prediction else 'Below'} the model's threshold "
                    f"{task.threshold:g}; risk band {task.risk_band}"
                ),
            }
        ],
        "note": [{"text": screening.screening_aid}],
        "method": {"text": f"mtecg model {screening.model.id} {screening.model.version}"},
        "device": _ref(screening, "device"),
        "derivedFrom": [_ref(screening, "media-canonical")],
    }
    if subject is not None:
        observation["subject"] = subject
    return observation


def _media(screening: ScreeningOut, name: str, url: str, base_url: str) -> dict[str, Any]:
    return {
        "resourceType": "Media",
        "id": _id(screening, f"media-{name}"),
        "status": "completed",
        "content": {
            "contentType": "image/png",
            "url": base_url + url,
            "title": _IMAGE_TITLES[name],
        },
    }


def screening_bundle(
    screening: ScreeningOut, card: ModelCard | None, base_url: str = ""
) -> dict[str, Any]:
    """The Bundle as JSON; `card` is the model card when the screening's model is loaded."""
    subject = _patient(screening)
    images = screening.images.model_dump()
    media = [_media(screening, name, url, base_url) for name, url in images.items()]
    observations = [_observation(screening, name, subject) for name in screening.tasks]
    report: dict[str, Any] = {
        "resourceType": "DiagnosticReport",
        "id": _id(screening, "report"),
        "identifier": [{"system": f"{ID_SYSTEM}:screening", "value": str(screening.id)}],
        "status": "final",
        "category": [{"text": "AI screening"}],
        "code": {"coding": [_ECG_STUDY], "text": "AI screening of a 12-lead ECG"},
        "effectiveDateTime": screening.created_at.isoformat(),
        "issued": screening.created_at.isoformat(),
        "result": [_ref(screening, f"observation-{name}") for name in screening.tasks],
        "media": [
            {"comment": _IMAGE_TITLES[name], "link": _ref(screening, f"media-{name}")}
            for name in images
        ],
        "conclusion": screening.screening_aid,
    }
    if subject is not None:
        report["subject"] = subject
    resources = [report, *observations, _device(screening, card), *media]
    if card is not None:
        resources.append(_card_document(screening, card))
    return {
        "resourceType": "Bundle",
        "id": _id(screening, "bundle"),
        "type": "collection",
        "timestamp": screening.created_at.isoformat(),
        "entry": [
            {"fullUrl": f"urn:uuid:{resource['id']}", "resource": resource}
            for resource in resources
        ],
    }

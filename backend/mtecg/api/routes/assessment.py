"""The questionnaire-only assessment (no ECG, nothing stored)."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter

from mtecg.api import questionnaire
from mtecg.api.deps import Guarded
from mtecg.api.schemas import SCREENING_AID, AssessmentIn, AssessmentOut, AssessmentResult
from mtecg.api.upload_form import invalid

router = APIRouter(tags=["assessment"])
MAX_AGE = 120


@router.post("/assessment", dependencies=Guarded)
def assess(body: AssessmentIn) -> AssessmentOut:
    year = datetime.now(UTC).year
    age = questionnaire.age_years(body.birth_year_be, year)
    if not 0 <= age <= MAX_AGE:
        raise invalid("birth_year_be", f"gives an age of {age}; expected 0 to {MAX_AGE}")
    answers = questionnaire.Answers(**body.model_dump(exclude={"sex"}), female=body.sex == "female")
    probabilities = questionnaire.assess(answers, year)
    return AssessmentOut(
        age_years=age,
        bmi=round(questionnaire.bmi(body.height_cm, body.weight_kg), 1),
        results={
            name: AssessmentResult(
                probability=p,
                risk_band=questionnaire.risk_band(p),  # type: ignore[arg-type]
            )
            for name, p in probabilities.items()
        },
        screening_aid=SCREENING_AID,
    )

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
    answers = questionnaire.Answers(
        birth_year_be=body.birth_year_be,
        female=body.sex == "female",
        height_cm=body.height_cm,
        weight_kg=body.weight_kg,
        diabetes=body.diabetes,
        prior_mi=body.prior_mi,
        prior_ptca_cabg=body.prior_ptca_cabg,
        cad=body.cad,
        heart_failure=body.heart_failure,
        hypertension=body.hypertension,
        ckd=body.ckd,
    )
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

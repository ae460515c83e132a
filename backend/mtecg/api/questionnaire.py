"""The published app's questionnaire-only risk models (docs/domain.md §5), without the ECG.

Four logistic models over yes/no answers, sex, age >= 65 and BMI > 25. Age comes from the Thai
Buddhist-era birth year (BE = CE + 543). Bands are the published app's: < 30 % low,
30 % to < 70 % moderate, >= 70 % high.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

BE_OFFSET: Final = 543
_BANDS: Final = ((0.3, "low"), (0.7, "moderate"))

# (intercept, {input: coefficient}) per model, exactly as published.
MODELS: Final[dict[str, tuple[float, dict[str, float]]]] = {
    "scar": (
        -1.25369,
        {
            "female": -1.289421,
            "prior_mi": 1.26799,
            "prior_ptca_cabg": 0.852316,
            "cad": 1.188963,
            "heart_failure": 0.875971,
            "ckd": 0.394268,
        },
    ),
    "scar_from_cad": (
        -1.838088,
        {
            "female": -1.257548,
            "diabetes": 0.290813,
            "prior_mi": 1.42843,
            "prior_ptca_cabg": 0.915726,
            "cad": 1.477169,
            "heart_failure": 0.519559,
            "ckd": 0.35904,
        },
    ),
    "lvef_lt_40": (
        -1.986239,
        {
            "age_65_plus": -0.573404,
            "female": -0.537664,
            "bmi_over_25": -0.771137,
            "hypertension": -0.533213,
            "cad": 0.714925,
            "heart_failure": 2.065291,
            "ckd": 0.61929,
        },
    ),
    "lvef_lt_50": (
        -1.468317,
        {
            "age_65_plus": -0.438355,
            "female": -0.797398,
            "bmi_over_25": -0.3547618,
            "hypertension": -0.350557,
            "prior_mi": 0.534031,
            "cad": 0.787748,
            "heart_failure": 1.831592,
        },
    ),
}


@dataclass(frozen=True)
class Answers:
    birth_year_be: int
    female: bool
    height_cm: float
    weight_kg: float
    diabetes: bool
    prior_mi: bool
    prior_ptca_cabg: bool
    cad: bool
    heart_failure: bool
    hypertension: bool
    ckd: bool


def age_years(birth_year_be: int, current_year_ce: int) -> int:
    return current_year_ce - (birth_year_be - BE_OFFSET)


def bmi(height_cm: float, weight_kg: float) -> float:
    return weight_kg / (height_cm / 100.0) ** 2


def risk_band(probability: float) -> str:
    for upper, name in _BANDS:
        if probability < upper:
            return name
    return "high"


def assess(answers: Answers, current_year_ce: int) -> dict[str, float]:
    """The probability of each model's outcome."""
    inputs = {
        "female": answers.female,
        "diabetes": answers.diabetes,
        "prior_mi": answers.prior_mi,
        "prior_ptca_cabg": answers.prior_ptca_cabg,
        "cad": answers.cad,
        "heart_failure": answers.heart_failure,
        "hypertension": answers.hypertension,
        "ckd": answers.ckd,
        "age_65_plus": age_years(answers.birth_year_be, current_year_ce) >= 65,
        "bmi_over_25": bmi(answers.height_cm, answers.weight_kg) > 25,
    }
    return {
        name: 1.0 / (1.0 + math.exp(-(intercept + sum(c * inputs[k] for k, c in terms.items()))))
        for name, (intercept, terms) in MODELS.items()
    }

"""Inputs the security tests share: a valid questionnaire answer set."""

from __future__ import annotations

ASSESSMENT = {
    "birth_year_be": 2510,
    "sex": "female",
    "height_cm": 160,
    "weight_kg": 60,
    "diabetes": False,
    "prior_mi": False,
    "prior_ptca_cabg": False,
    "cad": False,
    "heart_failure": False,
    "hypertension": False,
    "ckd": False,
}

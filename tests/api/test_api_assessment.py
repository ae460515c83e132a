"""The questionnaire assessment: docs/domain.md §5 formulas and the Buddhist-era age."""

from __future__ import annotations

import math
from datetime import UTC, datetime

from support.api_client import Running

ANSWERS = {
    "sex": "female",
    "height_cm": 160,
    "weight_kg": 70,
    "diabetes": True,
    "prior_mi": True,
    "prior_ptca_cabg": False,
    "cad": True,
    "heart_failure": False,
    "hypertension": True,
    "ckd": False,
}


def logistic(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def test_assessment_follows_the_published_formulas(running: Running) -> None:
    year_ce = datetime.now(UTC).year
    birth_be = year_ce - 70 + 543  # 70 years old
    response = running.client.post(
        "/api/v1/assessment", json={**ANSWERS, "birth_year_be": birth_be}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["age_years"] == 70
    assert body["bmi"] == round(70 / 1.6**2, 1)
    expected = {
        "scar": logistic(-1.25369 - 1.289421 + 1.26799 + 1.188963),
        "scar_from_cad": logistic(-1.838088 - 1.257548 + 0.290813 + 1.42843 + 1.477169),
        "lvef_lt_40": logistic(-1.986239 - 0.573404 - 0.537664 - 0.771137 - 0.533213 + 0.714925),
        "lvef_lt_50": logistic(
            -1.468317 - 0.438355 - 0.797398 - 0.3547618 - 0.350557 + 0.534031 + 0.787748
        ),
    }
    for name, probability in expected.items():
        assert math.isclose(body["results"][name]["probability"], probability, rel_tol=1e-9)
    assert body["results"]["scar"]["risk_band"] == "moderate"  # 0.48
    assert body["results"]["lvef_lt_40"]["risk_band"] == "low"


def test_assessment_refuses_bad_answers_by_name(running: Running) -> None:
    future = datetime.now(UTC).year + 543 + 1
    born_later = running.client.post(
        "/api/v1/assessment", json={**ANSWERS, "birth_year_be": future}
    )
    assert born_later.status_code == 422 and born_later.json()["field"] == "birth_year_be"
    extra = running.client.post(
        "/api/v1/assessment", json={**ANSWERS, "birth_year_be": 2500, "smoker": True}
    )
    assert extra.status_code == 422 and extra.json()["field"] == "smoker"

"""models/model.schema.json: generated from the manifest models, not drifted, and true of the
packages mtecg writes and ships (validated with jsonschema, independently of pydantic)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from support.model_builders import manifest, network_spec, random_network
from tests_paths import REPO

from mtecg.model.manifest import ManifestError, manifest_from_json
from mtecg.model.package import write_package
from mtecg.model.schema_file import schema_text

SCHEMA_FILE = REPO / "models" / "model.schema.json"
DEMO = REPO / "models" / "demo" / "model.json"


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def errors(validator: jsonschema.Draft202012Validator, document: Any) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator.iter_errors(document)
    ]


def test_checked_in_schema_is_the_generated_one() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == schema_text(), (
        "models/model.schema.json has drifted from mtecg.model.manifest: regenerate it with "
        "`make model-schema`"
    )


def test_the_demo_package_is_valid(validator: jsonschema.Draft202012Validator) -> None:
    assert errors(validator, json.loads(DEMO.read_text(encoding="utf-8"))) == []


@pytest.mark.parametrize("clinical", [False, True], ids=["plain", "clinical"])
def test_written_packages_are_valid(
    validator: jsonschema.Draft202012Validator, tmp_path: Path, clinical: bool
) -> None:
    spec = network_spec(clinical=clinical)
    folder = write_package(tmp_path / "p", random_network(spec), manifest(spec, size=64))
    assert errors(validator, json.loads((folder / "model.json").read_text())) == []


def test_the_demo_manifest_round_trips_unchanged() -> None:
    document = json.loads(DEMO.read_text(encoding="utf-8"))
    assert manifest_from_json(document).to_json() == document


BREAKAGES = {
    "threshold as a flag": lambda d: d["tasks"]["scar"].update(threshold=True),
    "threshold above 1": lambda d: d["tasks"]["lvef"].update(threshold=1.5),
    "unknown geometry": lambda d: d["input"].update(geometry="portrait"),
    "misspelt input key": lambda d: d["input"].update(interpolations="area"),
    "size as text": lambda d: d["input"].update(size=["384", "384"]),
    "no weights": lambda d: d.pop("weights"),
    "bad sha256": lambda d: d["weights"].update(sha256="xyz"),
    "three classes": lambda d: d.update(classes=["negative", "positive", "maybe"]),
}


@pytest.mark.parametrize("case", sorted(BREAKAGES))
def test_schema_and_loader_both_refuse(
    validator: jsonschema.Draft202012Validator, case: str
) -> None:
    document = json.loads(DEMO.read_text(encoding="utf-8"))
    BREAKAGES[case](document)
    assert errors(validator, document), "the schema accepts it"
    with pytest.raises(ManifestError):
        manifest_from_json(document)

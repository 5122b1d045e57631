"""The committed JSON Schema matches the model, and every bundled framework fits it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from carekpi.framework.loader import load_framework
from carekpi.framework.model import Framework
from carekpi.framework.schema import (
    DEFAULT_SCHEMA_PATH,
    MODELINE,
    SCHEMA_DIALECT,
    framework_json_schema,
    schema_text,
    write_schema_file,
)

ROOT = Path(__file__).resolve().parents[1]
FRAMEWORKS = sorted((ROOT / "frameworks").glob("*.y*ml"))


def _yaml_as_json(path: Path) -> Any:
    """The file's data as a YAML language server sees it (dates as strings)."""
    return json.loads(json.dumps(yaml.safe_load(path.read_text(encoding="utf-8")), default=str))


def test_committed_schema_matches_the_model() -> None:
    committed = DEFAULT_SCHEMA_PATH.read_text(encoding="utf-8")
    assert committed == schema_text(), (
        "schema/framework.schema.json is out of date: run `python -m carekpi.framework.schema`"
    )


def test_schema_header_and_top_level_properties() -> None:
    schema = json.loads(DEFAULT_SCHEMA_PATH.read_text(encoding="utf-8"))
    assert schema["$schema"] == SCHEMA_DIALECT == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"]
    assert schema["title"] and schema["description"]
    assert schema["type"] == "object"
    assert schema["additionalProperties"] is False
    assert {"id", "name", "commissioner", "version", "effective_from", "service_types",
            "returns", "kpis", "notes"} <= set(schema["properties"])
    assert {"id", "name", "version", "effective_from", "returns"} <= set(schema["required"])
    # field names as written in YAML (the alias), not the Python attribute
    kpi = schema["$defs"]["Kpi"]["properties"]
    assert "return" in kpi and "return_type" not in kpi
    assert framework_json_schema() == schema


def test_write_schema_file(tmp_path: Path) -> None:
    out = write_schema_file(tmp_path / "sub" / "framework.schema.json")
    assert out.read_text(encoding="utf-8") == schema_text()
    assert schema_text().endswith("}\n")


def test_modeline_points_at_the_schema_from_the_frameworks_folder() -> None:
    prefix = "# yaml-language-server: $schema="
    assert MODELINE.startswith(prefix)
    target = (ROOT / "frameworks" / MODELINE[len(prefix):]).resolve()
    assert target == DEFAULT_SCHEMA_PATH.resolve()


@pytest.mark.parametrize("path", FRAMEWORKS, ids=[p.name for p in FRAMEWORKS])
def test_bundled_framework_fits_the_model(path: Path) -> None:
    Framework.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    load_framework(path)


@pytest.mark.parametrize("path", FRAMEWORKS, ids=[p.name for p in FRAMEWORKS])
def test_bundled_framework_validates_against_the_schema(path: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = framework_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(_yaml_as_json(path))


def test_schema_rejects_a_misspelt_key() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    data = _yaml_as_json(ROOT / "frameworks" / "surrey.yaml")
    data["kpis"][0]["critcal"] = True
    validator = jsonschema.Draft202012Validator(framework_json_schema())
    assert any("critcal" in e.message for e in validator.iter_errors(data))


@pytest.mark.parametrize("path", FRAMEWORKS, ids=[p.name for p in FRAMEWORKS])
def test_bundled_framework_starts_with_the_modeline(path: Path) -> None:
    assert path.read_text(encoding="utf-8").splitlines()[0] == MODELINE


def test_cli_schema_prints_and_writes(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from carekpi.cli import app

    printed = CliRunner().invoke(app, ["schema"])
    assert printed.exit_code == 0
    assert printed.stdout == schema_text()
    out = tmp_path / "schema" / "framework.schema.json"
    written = CliRunner().invoke(app, ["schema", "-o", str(out)])
    assert written.exit_code == 0
    assert out.read_text(encoding="utf-8") == schema_text()

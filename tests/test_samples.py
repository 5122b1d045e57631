"""The committed Surrey sample returns: what samples.yaml says of them, and that they are reproducible."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from carekpi.framework.discovery import bundled_dir
from carekpi.framework.model import Framework
from carekpi.scoring.inputs import load_commissioner_data
from carekpi.scoring.passes import score_reports
from carekpi.validation.validate import validate_file
from carekpi.workbook.samples import load_spec, write_samples
from conftest import TODAY

SAMPLES = bundled_dir("sample_returns") / "surrey"
SPEC: dict[str, Any] = yaml.safe_load((SAMPLES / "samples.yaml").read_text(encoding="utf-8"))
ENTRIES: list[dict[str, Any]] = SPEC["returns"]
TOP_LEVEL = [e for e in ENTRIES if "/" not in e["file"]]


def test_spec_is_for_surrey_and_names_every_committed_workbook(surrey: Framework) -> None:
    assert load_spec(surrey)["framework"] == "surrey"
    committed = sorted(str(p.relative_to(SAMPLES)) for p in SAMPLES.rglob("*.xlsx"))
    assert committed == sorted(e["file"] for e in ENTRIES)
    assert len(TOP_LEVEL) == 9


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["file"] for e in ENTRIES])
def test_sample_matches_its_expectation(surrey: Framework, entry: dict[str, Any]) -> None:
    report = validate_file(SAMPLES / entry["file"], today=TODAY)
    expect = entry.get("expect") or {"valid": True, "findings": []}
    assert report.valid is expect["valid"]
    found = [f.to_dict() for f in report.findings]
    for want in expect.get("findings") or []:
        assert any(all(f.get(k) == v for k, v in want.items()) for f in found), (want, found)
    if expect["valid"]:
        assert not [f for f in found if f["severity"] == "error"]
    else:
        # an invalid sample shows its kind of finding, and that is the only error
        errors = {(f["code"], f["field"]) for f in found if f["severity"] == "error"}
        assert errors == {(w["code"], w["field"]) for w in expect["findings"]}
    if expect.get("bands"):
        council = load_commissioner_data(SAMPLES / SPEC["commissioner_data"], surrey)
        kpis = score_reports(surrey, [report], commissioner=council).returns[0].kpis
        assert {k.kpi: k.band for k in kpis if k.kpi in expect["bands"]} == expect["bands"]


@pytest.mark.parametrize("entry", TOP_LEVEL, ids=[e["file"] for e in TOP_LEVEL])
def test_top_level_samples_validate_cleanly(entry: dict[str, Any]) -> None:
    report = validate_file(SAMPLES / entry["file"], today=TODAY)
    assert [(f.code, f.severity) for f in report.findings] == [("V306", "info")]


def test_top_level_samples_span_green_amber_and_red(surrey: Framework) -> None:
    council = load_commissioner_data(SAMPLES / SPEC["commissioner_data"], surrey)
    reports = [validate_file(SAMPLES / e["file"], today=TODAY) for e in TOP_LEVEL]
    scored = score_reports(surrey, reports, commissioner=council)
    bands = scored.band_counts()
    assert bands["green"] and bands["amber"] and bands["red"]
    assert bands["na"] == 0  # with the council's data every KPI is banded
    by_provider: dict[str, set[str]] = {}
    for r in scored.returns:
        by_provider.setdefault(r.provider or "", set()).update(k.band for k in r.kpis)
    assert by_provider == {
        "Brightwater Home Care Ltd": {"green"},
        "Meadowbank Care Services": {"green", "amber"},
        "Oakridge Community Care": {"amber", "red"},
    }


def test_regenerated_samples_are_byte_identical(surrey: Framework, tmp_path: Path) -> None:
    written = write_samples(surrey, tmp_path)
    assert len(written) == len(ENTRIES) + 3  # the workbooks, the council data, providers and register
    for path in written:
        rel = path.relative_to(tmp_path)
        committed = SAMPLES / rel
        assert committed.exists(), rel
        assert path.read_bytes() == committed.read_bytes(), f"{rel} differs from the committed sample"

"""Framework versions: the version in force on a date, and returns validated against the version
in force for their reporting period (frameworks/<id>.yaml plus frameworks/versions/*.yaml)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from carekpi.base.errors import UsageError
from carekpi.cli import app
from carekpi.framework.discovery import find_framework, framework_versions
from carekpi.framework.loader import load_framework
from carekpi.framework.model import Framework
from carekpi.framework.versions import in_force
from carekpi.validation.validate import validate_file
from carekpi.workbook.fill import fill_workbook
from carekpi.workbook.template import template_bytes
from mini_framework import mini_framework

TODAY = date(2026, 1, 15)

OLD = mini_framework(version="2024.04", modeline="# yaml-language-server: $schema=../../schema/framework.schema.json")

# Version 2025.04 adds a required item and raises the Green threshold.
NEW = (OLD.replace('version: "2024.04"', 'version: "2025.04"')
       .replace("effective_from: 2024-04-01", "effective_from: 2025-04-01")
       .replace("../../schema", "../schema")
       .replace("            type: count\nkpis:", "            type: count\n          - id: calls_missed\n"
                                                "            label: Missed calls\n            type: count\nkpis:")
       .replace("green: 95", "green: 97"))

COVER: dict[str, Any] = {
    "provider_name": "Test Care Ltd",
    "cqc_location_id": "1-000000001",
    "contact_name": "A Manager",
    "contact_email": "manager@test.example",
}


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("CAREKPI_FRAMEWORKS_DIR", raising=False)
    d = tmp_path / "frameworks"
    (d / "versions").mkdir(parents=True)
    assert "calls_missed" in NEW and "green: 97" in NEW
    (d / "mini.yaml").write_text(NEW, encoding="utf-8")
    (d / "versions" / "mini-2024.04.yaml").write_text(OLD, encoding="utf-8")
    return d


def version(folder: Path, name: str) -> Framework:
    return load_framework(folder / name)


def make_return(path: Path, fw: Framework, period: date, **values: Any) -> Path:
    vals = {**COVER, "reporting_period": period, "calls_total": 100, "calls_late": 2, **values}
    if fw.return_type().item("calls_missed") is not None:
        vals.setdefault("calls_missed", 0)
    path.write_bytes(fill_workbook(template_bytes(fw), vals))
    return path


def test_find_framework_at_a_date(folder: Path) -> None:
    dirs = [folder]
    assert find_framework("mini", dirs).version == "2025.04"  # without a date: the current file
    assert find_framework("mini", dirs, at=date(2024, 4, 1)).version == "2024.04"
    assert find_framework("mini", dirs, at=date(2025, 3, 31)).version == "2024.04"
    assert find_framework("mini", dirs, at=date(2025, 4, 1)).version == "2025.04"
    assert find_framework("mini", dirs, at=date(2030, 1, 1)).version == "2025.04"
    with pytest.raises(UsageError, match="no version of framework mini was in force on 01 January 2020"):
        find_framework("mini", dirs, at=date(2020, 1, 1))
    with pytest.raises(UsageError, match="unknown framework"):
        find_framework("nosuch", dirs, at=date(2025, 1, 1))
    # a path is always that file
    old_path = str(folder / "versions" / "mini-2024.04.yaml")
    assert find_framework(old_path, dirs, at=date(2030, 1, 1)).version == "2024.04"


def test_framework_versions_oldest_first(folder: Path) -> None:
    versions = framework_versions("mini", [folder])
    assert [v.version for v in versions] == ["2024.04", "2025.04"]
    assert in_force(versions, date(2024, 12, 31)) is versions[0]
    assert in_force(versions, date(2024, 3, 31)) is None


def test_a_local_folder_shadows_the_bundled_versions(folder: Path) -> None:
    # surrey is bundled; a local folder without it leaves the bundled one in force
    assert find_framework("surrey", [folder], at=date(2025, 1, 1)).id == "surrey"


def test_return_validated_against_the_version_for_its_period(folder: Path, tmp_path: Path) -> None:
    old, new = version(folder, "versions/mini-2024.04.yaml"), version(folder, "mini.yaml")
    # an old template for a period under the old version: the old version, no V002
    rep = validate_file(make_return(tmp_path / "a.xlsx", old, date(2024, 6, 1)), frameworks_dirs=[folder], today=TODAY)
    assert rep.framework_version == "2024.04"
    assert [f.code for f in rep.findings if f.severity != "info"] == []
    # a new template for a period under the new version
    rep = validate_file(make_return(tmp_path / "b.xlsx", new, date(2025, 6, 1)), frameworks_dirs=[folder], today=TODAY)
    assert rep.framework_version == "2025.04"
    assert [f.code for f in rep.findings if f.severity != "info"] == []


def test_old_template_for_a_new_period_names_both_versions(folder: Path, tmp_path: Path) -> None:
    old = version(folder, "versions/mini-2024.04.yaml")
    rep = validate_file(make_return(tmp_path / "c.xlsx", old, date(2025, 5, 1)), frameworks_dirs=[folder], today=TODAY)
    assert rep.framework_version == "2025.04"
    v002 = [f for f in rep.findings if f.code == "V002"]
    assert [f.message for f in v002] == [
        "the workbook was made from the mini template version 2024.04; it is validated against version 2025.04 "
        "(in force from 01 April 2025), the version in force for May 2025: use the version 2025.04 template"
    ]
    # the item the new version added is missing from the old workbook
    assert any(f.code == "V005" and f.field == "calls_missed" for f in rep.findings)


def test_new_template_for_an_old_period_is_validated_against_the_old_version(folder: Path, tmp_path: Path) -> None:
    new = version(folder, "mini.yaml")
    rep = validate_file(make_return(tmp_path / "d.xlsx", new, date(2025, 3, 1)), frameworks_dirs=[folder], today=TODAY)
    assert rep.framework_version == "2024.04"
    (v002,) = [f for f in rep.findings if f.code == "V002"]
    assert "version 2025.04" in v002.message and "against version 2024.04" in v002.message
    assert "March 2025" in v002.message


def test_a_framework_given_as_an_object_or_path_is_used_as_it_is(folder: Path, tmp_path: Path) -> None:
    old, new = version(folder, "versions/mini-2024.04.yaml"), version(folder, "mini.yaml")
    path = make_return(tmp_path / "e.xlsx", old, date(2025, 5, 1))
    rep = validate_file(path, framework=old, frameworks_dirs=[folder], today=TODAY)
    assert rep.framework_version == "2024.04" and not [f for f in rep.findings if f.code == "V002"]
    rep = validate_file(path, framework=str(folder / "mini.yaml"), frameworks_dirs=[folder], today=TODAY)
    assert rep.framework_version == "2025.04"
    (v002,) = [f for f in rep.findings if f.code == "V002"]
    assert "the version asked for" in v002.message
    assert new.version in v002.message


def test_period_before_every_version_keeps_the_current_one(folder: Path, tmp_path: Path) -> None:
    new = version(folder, "mini.yaml")
    rep = validate_file(make_return(tmp_path / "f.xlsx", new, date(2023, 6, 1)), frameworks_dirs=[folder], today=TODAY)
    assert rep.framework_version == "2025.04"


def test_cli_validate_with_versions(folder: Path, tmp_path: Path) -> None:
    old = version(folder, "versions/mini-2024.04.yaml")
    path = make_return(tmp_path / "g.xlsx", old, date(2025, 5, 1))
    r = CliRunner().invoke(app, ["--frameworks-dir", str(folder), "validate", "--today", TODAY.isoformat(), str(path)],
                           catch_exceptions=False)
    assert r.exit_code == 1  # calls_missed is required by 2025.04 and not in the workbook
    assert "mini 2025.04" in r.stdout
    assert "V002" in r.stdout and "template version 2024.04" in r.stdout


def test_lint_lints_the_versions_folder(folder: Path) -> None:
    r = CliRunner().invoke(app, ["lint", str(folder)], catch_exceptions=False)
    assert r.exit_code == 0, r.stdout
    assert r.stdout == "2 framework files checked: no problems.\n"

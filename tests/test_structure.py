"""The shape the pipeline promises: registries, a framework that crosses processes, periods that
know their cadence, one renderer registry, a lean start-up and a public API."""

from __future__ import annotations

import pickle
import re
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from fractions import Fraction
from pathlib import Path

import pytest
from typer.testing import CliRunner

import carekpi
from carekpi.base.enums import Band, Severity
from carekpi.base.version import __version__
from carekpi.cli import app
from carekpi.framework.bands import SCHEMES
from carekpi.framework.discovery import bundled_dir
from carekpi.framework.kinds import KINDS, KpiKind
from carekpi.framework.lint import FRAMEWORK_CODES
from carekpi.framework.periods import CADENCES, Cadence, period_of
from carekpi.render.registry import RENDERERS, formats_for
from carekpi.validation.checks import CHECKS, CODE_TABLE
from carekpi.validation.checks.values import COERCION_CODES
from carekpi.workbook import coerce

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
FRAMEWORK_IDS = sorted(p.stem for p in (ROOT / "frameworks").glob("*.yaml"))
TODAY = date(2026, 11, 22)
runner = CliRunner()


# --- a framework crosses processes ------------------------------------------------------------


@pytest.mark.parametrize("fid", FRAMEWORK_IDS)
def test_every_bundled_framework_pickles_with_its_compiled_expressions(fid: str) -> None:
    from carekpi.framework.compiled import compiled

    fw = carekpi.load_framework(fid)
    back = pickle.loads(pickle.dumps(fw))
    assert back.id == fid and back.version == fw.version
    for rt in fw.returns:
        a, b = compiled(fw, rt.id), compiled(back, rt.id)
        assert [r.check.source for r in a.rules] == [r.check.source for r in b.rules]
        assert {k: [e.source for e in x.all()] for k, x in a.kpis.items()} == \
               {k: [e.source for e in x.all()] for k, x in b.kpis.items()}


def test_a_framework_used_for_scoring_still_pickles() -> None:
    """The caches filled while validating and scoring (items, labels, KPI inputs) travel with
    the framework to worker processes."""
    from carekpi.framework.compiled import compiled

    fw = carekpi.load_framework("surrey")
    sample = sorted((Path(__file__).resolve().parents[1] / "sample_returns" / "surrey").glob("*.xlsx"))[0]
    carekpi.score_files([sample], framework=fw, today=date(2026, 11, 22))
    comp = compiled(fw, fw.returns[0].id)
    assert comp.labels and fw.returns[0].items()
    back = pickle.loads(pickle.dumps(fw))
    assert compiled(back, back.returns[0].id).labels == comp.labels


def test_a_loaded_framework_is_frozen() -> None:
    fw = carekpi.load_framework("surrey")
    with pytest.raises(ValueError, match="frozen"):
        fw.version = "9"  # type: ignore[misc]
    with pytest.raises(ValueError, match="frozen"):
        fw.kpis[0].label = "x"  # type: ignore[misc]


def _validate_in_worker(args: tuple[object, str]) -> tuple[bool, list[tuple[str, str | None]], bytes]:
    fw, path = args
    report = carekpi.validate_file(path, framework=fw, today=TODAY)  # type: ignore[arg-type]
    return report.valid, [(f.code, f.cell) for f in report.findings], pickle.dumps(report)


def test_a_worker_process_receives_the_framework_and_returns_a_validation_result() -> None:
    fw = carekpi.load_framework("surrey")
    files = sorted(str(p) for p in (bundled_dir("sample_returns") / "surrey").rglob("*.xlsx"))[:4]
    with ProcessPoolExecutor(max_workers=2) as pool:
        remote = list(pool.map(_validate_in_worker, [(fw, f) for f in files]))
    for f, (valid, findings, blob) in zip(files, remote, strict=True):
        local = carekpi.validate_file(f, framework=fw, today=TODAY)
        assert (valid, findings) == (local.valid, [(x.code, x.cell) for x in local.findings])
        assert pickle.loads(blob).findings == local.findings


# --- registries -------------------------------------------------------------------------------


def test_band_schemes_are_found_by_the_name_their_yaml_uses() -> None:
    assert list(SCHEMES) == ["thresholds", "ranges", "met", "trajectory", "mapping", "relative", "none"]
    for name, cls in SCHEMES.items():
        assert cls.model_fields["scheme"].annotation.__args__ == (name,)  # type: ignore[union-attr]
        assert cls.__doc__, f"{name} explains itself"


def test_kpi_kinds_are_found_by_name_and_are_the_schema_enum() -> None:
    assert list(KINDS) == [k.value for k in KpiKind] == ["ratio", "value", "compliance", "rating", "count_target"]


def test_the_codes_table_is_built_from_the_checks_and_matches_the_readme() -> None:
    declared = [c.code for check in CHECKS for c in check.codes]
    assert len(declared) == len(set(declared)), "each code is declared by one check"
    documented = dict(re.findall(r"^\| (V\d{3}) \| ([^|]+) \|", README, re.M))
    assert set(documented) == set(CODE_TABLE)
    for code, entry in CODE_TABLE.items():
        if entry.severity is not None and code != "V005":  # V005: error or warning, as the item requires
            assert documented[code].strip() == entry.severity.value, code


def test_every_code_reading_a_value_can_give_is_declared() -> None:
    source = Path(coerce.__file__).read_text(encoding="utf-8")
    assert set(re.findall(r'"(V\d{3})"', source)) <= set(COERCION_CODES)


def test_every_framework_problem_code_is_documented() -> None:
    assert set(FRAMEWORK_CODES) == set(re.findall(r"\b(F0\d\d)\b", README))


def test_format_choices_come_from_the_renderer_registry() -> None:
    assert formats_for("validation") == ["text", "json", "csv", "github", "sarif"]
    assert formats_for("score") == ["text", "json", "csv", "xlsx"]
    assert formats_for("drift") == ["text", "json", "github"]
    assert formats_for("diff") == ["text", "markdown", "json"]
    assert {r for _, r in RENDERERS} == {"validation", "score", "market", "report", "lint", "drift", "diff",
                                         "framework", "frameworks"}
    result = runner.invoke(app, ["validate", "x.xlsx", "--format", "yaml"])
    assert result.exit_code == 2 and "text, json, csv, github, sarif" in result.output


# --- drift and diff render like the rest --------------------------------------------------------


def test_template_check_renders_as_json_and_github(tmp_path: Path) -> None:
    import json

    out = tmp_path / "surrey.xlsx"
    assert runner.invoke(app, ["template", "-f", "surrey", "-o", str(out)]).exit_code == 0
    result = runner.invoke(app, ["template", "--check", str(out), "--format", "json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {"files": [{"file": str(out), "drift": False, "drifts": []}],
                                         "drift": False, "errors": 0}
    missing = tmp_path / "missing.xlsx"
    result = runner.invoke(app, ["template", "--check", str(missing), "--format", "github"])
    assert result.exit_code == 2
    assert result.stdout.startswith(f"::error file={missing},title=cannot check::")


def test_diff_renders_as_json() -> None:
    import json

    result = runner.invoke(app, ["diff", "surrey", "surrey", "--format", "json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["summary"] == {"changes": 0, "breaking": 0, "by_category": {
        "workbook": 0, "deadline": 0, "scoring": 0, "documentation": 0}}


# --- periods know their cadence ---------------------------------------------------------------


def test_one_table_of_cadences() -> None:
    assert {c: CADENCES[c].months for c in Cadence} == {
        Cadence.monthly: 1, Cadence.four_weekly: Fraction(12, 13), Cadence.quarterly: 3, Cadence.annual: 12}
    assert sum(CADENCES[Cadence.four_weekly].months for _ in range(13)) == 12


def test_a_period_knows_its_quarter_and_financial_year() -> None:
    march = period_of(Cadence.monthly, date(2026, 3, 14))
    assert (march.key, march.cadence, march.months) == ("2026-03", Cadence.monthly, 1)
    assert march.quarter().key == "2026-Q1"
    assert march.financial_year().key == "2025/26"
    april = march.next()
    assert (april.key, april.financial_year().key) == ("2026-04", "2026/27")
    # a four-weekly period belongs to the quarter and year holding its last day
    p = period_of(Cadence.four_weekly, date(2026, 3, 30), anchor=date(2026, 3, 23))
    assert (p.start, p.end, p.months) == (date(2026, 3, 23), date(2026, 4, 19), Fraction(12, 13))
    assert (p.quarter().key, p.financial_year().key) == ("2026-Q2", "2026/27")
    assert p.next().start == date(2026, 4, 20)


# --- enums --------------------------------------------------------------------------------------


def test_bands_and_severities_read_and_write_as_their_values() -> None:
    import json

    assert f"{Band.green}" == "green" and Band.na.label == "n/a" and Band("amber") is Band.amber
    assert json.dumps({"s": Severity.error}) == '{"s": "error"}'


# --- start-up and the public API ----------------------------------------------------------------


def test_the_cli_starts_without_pydantic_openpyxl_or_rich() -> None:
    code = ("import sys, carekpi.cli; heavy = {'pydantic', 'openpyxl', 'rich'} & set(sys.modules); "
            "print(sorted(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": str(ROOT / "src")})
    assert out.stdout.strip() == "[]"


def test_public_api_validates_and_scores_and_infers_the_framework() -> None:
    samples = bundled_dir("sample_returns") / "surrey"
    report = carekpi.validate_file(samples / "brightwater-2026-01.xlsx", today=TODAY)
    assert report.valid and report.framework == "surrey" and report.period == "2026-01"
    scores = carekpi.score_files([samples / "brightwater-2026-01.xlsx", samples / "oakridge-2026-01.xlsx"],
                                 today=TODAY)
    assert scores.framework.id == "surrey" and isinstance(scores, carekpi.MarketReport)
    assert [r.provider for r in scores.scores.returns] == ["Brightwater Home Care Ltd", "Oakridge Community Care"]
    assert all(isinstance(k, carekpi.KpiResult) for r in scores.scores.returns for k in r.kpis)
    with pytest.raises(carekpi.UsageError, match="unknown framework"):
        carekpi.load_framework("wessex")


def test_version_answers_without_loading_the_command_line_application() -> None:
    """carekpi --version costs little more than starting Python: typer, click and rich stay unloaded."""
    import subprocess
    import sys

    code = ("import sys; sys.argv = ['carekpi', '--version']; from carekpi.launch import main; main(); "
            "print(sorted(m for m in ('typer', 'click', 'rich', 'carekpi.cli') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out == f"carekpi {__version__}\n[]\n"


def test_the_reserved_cover_names_are_the_cover_items_ids() -> None:
    from carekpi.framework.cover import COVER_NAMES, fixed_cover_items
    for fid in FRAMEWORK_IDS:
        fw = carekpi.load_framework(fid)
        for rt in fw.returns:
            assert {i.id for i in fixed_cover_items(fw, rt)} == COVER_NAMES, (fid, rt.id)

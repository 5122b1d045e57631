"""Whatever a return holds, carekpi gives findings or a result: never an unhandled exception.

* Property tests (hypothesis, derandomized so CI is stable): any mix of values in any input
  cell (and in case-log rows) of a return built from a template or a bundled sample, through
  validate_file, score_reports and every renderer; and any value through ``coerce`` for
  every item type.
* A seeded fuzz test: a few hundred damaged copies of valid returns (bytes flipped, the file
  cut short, parts changed, cut short, removed or spliced, defined names garbled) through the
  whole validate_file path. The only allowed outcomes are a ValidationReport, or
  UnreadableWorkbook / UsageError (one sentence, exit 2 in the CLI).
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import workbook_variants as wv
from carekpi.base.errors import UnreadableWorkbook, UsageError
from carekpi.framework.discovery import bundled_dir, find_framework
from carekpi.framework.model import FieldType, Framework, ItemField, Source
from carekpi.render import render
from carekpi.scoring.passes import score_reports
from carekpi.validation.findings import ValidationReport
from carekpi.validation.validate import validate_file
from carekpi.workbook.coerce import Coerced, coerce
from carekpi.workbook.fill import fill_workbook
from conftest import SURREY_CLEAN, TODAY, template_for

SETTINGS = dict(deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

#: Characters openpyxl refuses to write (IllegalCharacterError: XML 1.0 cannot hold them). A
#: provider's Excel cannot store them either, so they are left out of the strategy; what a
#: hostile file does with raw bytes is the fuzz test's job.
ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
#: Surrogates cannot be encoded as UTF-8, so no workbook can hold them.
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40).filter(lambda s: not ILLEGAL.search(s))
TYPED = st.sampled_from([
    "=1+1", "=HYPERLINK(\"http://x\",\"y\")", "+1", "-2", "@SUM(A1)", "#DIV/0!", "#N/A", "#REF!", " #VALUE! ",
    "", " ", "\u00a0", "\u200b", "\t", "-", "–", "n/a", "N/A", "not applicable", "Yes", "yes", "Y", "TRUE", "No",
    "Partial", "1", "0", "1,234", "1,23", "£1,234.50", " 12 ", "12\u00a0", "12.5", "-0", "1e3", "95%", "0.95",
    "100%", "101%", "%", "31/03/2026", "31-03-26", "2026-03-31", "31 March 2026", "March 2026", "29/02/2026",
    "00/00/0000", "١٢٣", "１２", "NaN", "inf", "-inf", "9" * 30, "9" * 5000, "x" * 300, "Ünïcødé ✓ 😀", "\u202eevil",
])
#: openpyxl writes dates from 1 March 1900 faithfully (earlier ones fall in Excel's 1900 leap-year bug).
DATES = st.dates(min_value=date(1900, 3, 1))
DATETIMES = st.datetimes(min_value=datetime(1900, 3, 1))
VALUES = st.one_of(
    st.none(), st.booleans(),
    st.integers(min_value=-10, max_value=5000), st.integers(min_value=-(10 ** 300), max_value=10 ** 300),
    st.floats(), st.floats(min_value=-2, max_value=2), st.decimals(allow_nan=False, allow_infinity=False, places=3),
    TEXT, TYPED, DATES, DATETIMES, st.times(),
)


def _sample(fid: str, contains: str = "") -> Path:
    return next(p for p in sorted((bundled_dir("sample_returns") / fid).glob("*.xlsx")) if contains in p.name)


def _case(fid: str) -> tuple[Framework, bytes, str | None, list[str], dict[str, int]]:
    """(framework, bytes of a valid return, its return type, its input items, its tables and their widths)."""
    fw = find_framework(fid)
    if fid == "surrey":
        data, rid = fill_workbook(template_for(fw), SURREY_CLEAN), None
    else:
        path = _sample(fid, "08-17" if fid == "cheshire-east-awc" else "")
        data = path.read_bytes()
        rid = validate_file(path, today=TODAY).return_type
    rtype = fw.return_type(rid or fw.returns[0].id)
    from carekpi.framework.cover import cover_items

    items = [i.id for i in cover_items(fw, rtype)] + [i.id for i in rtype.items() if i.source == Source.provider]
    return fw, data, rid, items, {t.id: len(t.columns) for t in rtype.record_tables}


CASES = {fid: _case(fid) for fid in ("surrey", "bcp", "dorset", "cheshire-east-awc")}


def _everything(fw: Framework, report: ValidationReport) -> None:
    """Score and render the report in every format: none of it may raise."""
    score = score_reports(fw, [report])
    for fmt in ("text", "json", "csv", "github", "sarif"):
        assert render(fmt, "validation", [report])
    for fmt in ("text", "json", "csv", "xlsx"):
        assert render(fmt, "score", score)


@st.composite
def returns(draw: st.DrawFn, fid: str) -> tuple[dict[str, Any], dict[str, list[list[Any]]]]:
    _, _, _, items, tables = CASES[fid]
    values = draw(st.dictionaries(st.sampled_from(items), VALUES, max_size=12))
    rows = {t: draw(st.lists(st.lists(VALUES, min_size=width, max_size=width), max_size=3))
            for t, width in tables.items()}
    return values, {t: r for t, r in rows.items() if r}


def _check(fid: str, changes: tuple[dict[str, Any], dict[str, list[list[Any]]]], tmp_path: Path) -> None:
    fw, data, rid, _, _ = CASES[fid]
    values, tables = changes
    path = tmp_path / f"{fid}.xlsx"
    path.write_bytes(fill_workbook(data, values, tables=tables))
    report = validate_file(path, return_id=rid, today=TODAY)
    assert isinstance(report, ValidationReport)
    _everything(fw, report)


@settings(max_examples=50, **SETTINGS)  # type: ignore[arg-type]
@given(changes=returns("surrey"))
def test_any_values_in_a_surrey_return(changes: Any, tmp_path: Path) -> None:
    _check("surrey", changes, tmp_path)


@pytest.mark.parametrize("fid", ["bcp", "dorset", "cheshire-east-awc"])
def test_any_values_in_other_frameworks_returns(fid: str, tmp_path: Path) -> None:
    @settings(max_examples=15, **SETTINGS)  # type: ignore[arg-type]
    @given(changes=returns(fid))
    def run(changes: Any) -> None:
        _check(fid, changes, tmp_path)

    run()


EXTREME_PERIODS = [date(9999, 12, 31), date(2199, 12, 31), date(1899, 12, 31), date(1, 1, 1), "31/12/9999", 2958465,
                   datetime(2199, 12, 31, 23, 59)]
RETURN_TYPES = [(fid, rt.id) for fid in ("surrey", "bcp", "dorset", "cheshire-east-awc", "cheshire-east-dpss")
                for rt in find_framework(fid).returns]


@pytest.mark.parametrize(("fid", "rid"), RETURN_TYPES)
def test_any_reporting_period_gives_a_report(fid: str, rid: str, tmp_path: Path) -> None:
    """Periods and deadlines are computed from the date typed: at the ends of the calendar
    (year 1, year 9999) that arithmetic must end in a finding, not an exception."""
    fw = find_framework(fid)
    template = template_for(fw, rid)
    for i, day in enumerate(EXTREME_PERIODS):
        path = tmp_path / f"{i}.xlsx"
        path.write_bytes(fill_workbook(template, {"reporting_period": day}))
        report = validate_file(path, today=TODAY)
        score_reports(fw, [report])
        if type(day) is date and not date(1900, 1, 1) <= day <= date(2199, 12, 31):
            # V104 out of range; 31/12/1899 is saved as serial 0, which Excel shows as a time (V102)
            assert [f.code for f in report.findings if f.field == "reporting_period"] in (["V104"], ["V102"])


@settings(max_examples=20, **SETTINGS)  # type: ignore[arg-type]
@given(day=VALUES, case=st.sampled_from(RETURN_TYPES))
def test_any_value_as_the_reporting_period(day: Any, case: tuple[str, str], tmp_path: Path) -> None:
    fw = find_framework(case[0])
    path = tmp_path / "period.xlsx"
    path.write_bytes(fill_workbook(template_for(fw, case[1]), {"reporting_period": day}))
    _everything(fw, validate_file(path, today=TODAY))


def test_the_strategy_reaches_the_awkward_values() -> None:
    """The values the brief names are all in the strategy (a guard against narrowing it)."""
    for v in ("=1+1", "#DIV/0!", " ", "\u00a0", "95%", "31/03/2026", "Yes", "-", "n/a", "1,234"):
        assert v in TYPED.elements  # type: ignore[attr-defined]


ITEM_TYPES = [
    ItemField(id=f"item_{t.value}", label="An item", type=t, required=r,
              **({"choices": ["Good", "Requires improvement", "Inadequate"]} if t == FieldType.choice else {}))
    for t in FieldType for r in (True, False)
]


@settings(max_examples=400, **SETTINGS)  # type: ignore[arg-type]
@given(item=st.sampled_from(ITEM_TYPES), raw=st.one_of(VALUES, st.floats(allow_nan=True, allow_infinity=True),
                                                        st.text(max_size=60), st.integers()),
       number_format=st.sampled_from(["General", "0.0%", "0%", "dd/mm/yyyy", "@", "#,##0", "£#,##0.00", ""]),
       data_type=st.sampled_from(["n", "s", "b", "d", "e", "str", "inlineStr"]))
def test_coerce_never_raises(item: ItemField, raw: Any, number_format: str, data_type: str) -> None:
    c = coerce(item, raw, number_format=number_format, data_type=data_type)
    assert isinstance(c, Coerced)
    if c.value is not None:
        assert not any(n.severity == "error" for n in c.notes)
        expected = {FieldType.date: date, FieldType.text: str, FieldType.choice: str, FieldType.yes_no: str,
                    FieldType.yes_no_partial: str}.get(item.type, (int, Decimal))
        assert isinstance(c.value, expected)
        if isinstance(c.value, Decimal):
            assert c.value.is_finite()
    for n in c.notes:
        assert n.code.startswith("V1") and len(n.message) < 400
        assert n.severity in ("error", "warning")
    if isinstance(raw, time) and item.type == FieldType.date:
        assert c.value is None


# --- fuzz ---------------------------------------------------------------------------------------------

FUZZ = {"surrey": 240, "dorset": 60}  # a few hundred damaged returns, seeded


@pytest.mark.parametrize("fid", list(FUZZ))
def test_damaged_returns_give_a_report_or_one_sentence(fid: str, tmp_path: Path) -> None:
    fw, data, _, _, _ = CASES[fid]
    outcomes: Counter[str] = Counter()
    for i, (kind, damaged) in enumerate(wv.mutations(data, seed=20261122, count=FUZZ[fid])):
        path = tmp_path / f"fuzz-{i}.xlsx"
        path.write_bytes(damaged)
        try:
            report = validate_file(path, today=TODAY)
        except (UnreadableWorkbook, UsageError) as exc:
            assert "\n" not in str(exc) and "Traceback" not in str(exc), kind
            outcomes[type(exc).__name__] += 1
        except Exception as exc:  # anything else is a bug: say which damage caused it
            pytest.fail(f"variant {i} ({kind}) raised {type(exc).__name__}: {exc}")
        else:
            assert isinstance(report, ValidationReport)
            score_reports(fw, [report])
            outcomes["report"] += 1
        path.unlink()
    # the damage reaches the reader and validator, not only preflight
    assert outcomes["report"] >= FUZZ[fid] // 10, outcomes
    assert outcomes["UnreadableWorkbook"] >= FUZZ[fid] // 10, outcomes

"""The council's market over time: providers and submissions, resubmissions, timeliness, periods
put together, trends, judgements over consecutive periods and plausibility queries."""

from __future__ import annotations

import csv
import io
import json
import random
import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from carekpi.cli import app
from carekpi.framework.discovery import bundled_dir, find_framework
from carekpi.framework.loader import load_framework_text
from carekpi.framework.model import Framework
from carekpi.market.batch import score_paths
from carekpi.market.report import MarketReport
from carekpi.render import RenderOptions, render
from carekpi.workbook.fill import fill_workbook
from carekpi.workbook.template import template_bytes

TODAY = date(2026, 11, 22)
runner = CliRunner()

MARKET = """\
id: market
name: Market test framework
commissioner: Test Council
service: Home care
source_document: test.pdf
version: "1"
effective_from: 2024-04-01
cqc_registered: false
submissions:
  consequence: the Council may give notice in writing
  late_or_missing: {periods: 3, label: service failure}
consistent_failure: {periods: 3, label: consistent failure}
plausibility: {max_change: 0.5}
returns:
  - id: monthly
    label: Monthly return
    cadence: monthly
    deadline: {rule: day_of_following_month, day: 7, not_working_day: previous}
    sections:
      - id: calls
        label: Calls
        sheet: Calls
        fields:
          - {id: calls_total, label: Total calls, type: count}
          - {id: calls_late, label: Late calls, type: count}
  - id: four_weekly
    label: Four-weekly return
    cadence: four_weekly
    anchor: 2026-01-05
    deadline: {rule: days_after_period_end, days: 10, working_days: true}
    sections:
      - id: visits
        label: Visits
        sheet: Visits
        fields:
          - {id: visits, label: Visits made, type: count}
kpis:
  - {id: on_time, label: Calls on time, return: monthly, kind: ratio, numerator: calls_total - calls_late,
     denominator: calls_total, bands: {scheme: thresholds, green: 90, amber: 75}}
  - {id: late_rate, label: Late calls, return: monthly, kind: ratio, numerator: calls_late, denominator: calls_total,
     bands: {scheme: relative, direction: lower}}
  - {id: visit_target, label: Visits against target, return: four_weekly, kind: count_target, value: visits,
     bands: {scheme: met, target: 1300, per_months: 12}}
"""


@pytest.fixture(scope="module")
def market_fw() -> Framework:
    return load_framework_text(MARKET, "market.yaml")


@pytest.fixture(scope="module")
def templates(market_fw: Framework) -> dict[str, bytes]:
    return {r.id: template_bytes(market_fw, r.id) for r in market_fw.returns}


COVER = {"contact_name": "A Manager", "contact_email": "a@b.example"}


class Folder:
    """A folder of returns made from the test framework's template."""

    def __init__(self, root: Path, templates: dict[str, bytes]):
        self.root = root
        self.templates = templates
        root.mkdir(exist_ok=True)

    def add(self, name: str, provider: str, period: date, *, cqc: str | None = "auto", rid: str = "monthly",
            tables: dict[str, list[list[Any]]] | None = None, **values: Any) -> Path:
        cover = {**COVER, "provider_name": provider, "reporting_period": period}
        if cqc == "auto":
            cqc = {"Alpha Care": "1-000000001", "Beta Care": "1-000000002", "Gamma Care": "1-000000003",
                   "Delta Care": "1-000000004", "Eps Care": "1-000000005"}.get(provider)
        if cqc:
            cover["cqc_location_id"] = cqc
        path = self.root / name
        path.write_bytes(fill_workbook(self.templates[rid], {**cover, **values}, tables=tables))
        return path

    def write(self, name: str, text: str) -> Path:
        path = self.root.parent / name
        path.write_text(text, encoding="utf-8")
        return path


@pytest.fixture
def folder(tmp_path: Path, templates: dict[str, bytes]) -> Folder:
    return Folder(tmp_path / "returns", templates)


def market(fw: Framework, folder: Folder, **kw: Any) -> MarketReport:
    return score_paths(fw, [folder.root], today=TODAY, **kw)


def result(report: MarketReport, provider: str, kpi: str) -> Any:
    row = next(r for r in report.rows if r.provider.name == provider)
    return row.result(kpi)


def codes(report: MarketReport) -> list[tuple[str, str | None]]:
    return sorted((f.code.code, f.period) for f in report.findings)


# --- periods put together ----------------------------------------------------------------------------


def test_a_quarter_from_three_months_equals_scoring_the_summed_figures(market_fw: Framework, folder: Folder,
                                                                       tmp_path: Path) -> None:
    months = [(1, 1000, 50), (2, 800, 200), (3, 1200, 90)]
    for m, total, late in months:
        folder.add(f"alpha-2026-0{m}.xlsx", "Alpha Care", date(2026, m, 1), calls_total=total, calls_late=late)
    quarter = market(market_fw, folder, period="2026-Q1")
    assert not quarter.native and quarter.period.key == "2026-Q1"
    got = result(quarter, "Alpha Care", "on_time")
    summed = Folder(tmp_path / "summed", folder.templates)
    summed.add("alpha-sum.xlsx", "Alpha Care", date(2026, 3, 1), calls_total=3000, calls_late=340)
    one = result(market(market_fw, summed), "Alpha Care", "on_time")
    assert (got.numerator, got.denominator, got.value, got.band) == (one.numerator, one.denominator, one.value, one.band)
    assert (got.value, got.band) == (Decimal("88.7"), "amber")  # 2660 / 3000, not the mean of 95, 75 and 92.5
    assert "over 2026-01, 2026-02, 2026-03" in got.reason


def test_a_return_dated_in_the_future_does_not_move_the_market_to_its_period(market_fw: Framework,
                                                                             folder: Folder) -> None:
    """A typing slip (2099 for 2026) is refused by validation; the market still shows the latest
    period that has begun, and that period can still be asked for by name."""
    folder.add("alpha-03.xlsx", "Alpha Care", date(2026, 3, 1), calls_total=100, calls_late=5)
    folder.add("beta-03.xlsx", "Beta Care", date(2026, 3, 1), calls_total=100, calls_late=5)
    folder.add("beta-slip.xlsx", "Beta Care", date(2099, 3, 1), calls_total=100, calls_late=5)
    report = market(market_fw, folder)
    assert report.period.key == "2026-03"
    # nobody owes a return for the months up to 2099: what is expected ends with the periods begun
    assert sorted({x.period.key for x in report.submissions.expected}) == ["2026-03"]
    assert [s.period.key for s in report.submissions.received if s.file.endswith("beta-slip.xlsx")] == ["2099-03"]
    import openpyxl  # the officer's workbook still lists the slip among the returns received

    book = openpyxl.load_workbook(io.BytesIO(render("xlsx", "report", report, RenderOptions())))
    assert "2099-03" not in [c.value for c in book["Trends"]["A"]]  # no trend point in a period not begun
    subs = book["Submissions"]
    listed = [[c.value for c in row] for row in subs.iter_rows(min_row=5)]
    assert [(r[2], r[5]) for r in listed if str(r[-1]).endswith("beta-slip.xlsx")] == [
        ("2099-03", "future period")]
    assert sorted(r[2] for r in listed) == ["2026-03", "2026-03", "2099-03"]
    assert market(market_fw, folder, period="2099-03").period.key == "2099-03"


def test_an_incomplete_quarter_says_how_many_returns_are_in(market_fw: Framework, folder: Folder) -> None:
    folder.add("alpha-01.xlsx", "Alpha Care", date(2026, 1, 1), calls_total=100, calls_late=5)
    folder.add("alpha-03.xlsx", "Alpha Care", date(2026, 3, 1), calls_total=100, calls_late=5)
    folder.add("beta-02.xlsx", "Beta Care", date(2026, 2, 1), calls_total=100, calls_late=5)
    report = market(market_fw, folder, period="2026-Q1")
    assert "2 of 3 months in" in result(report, "Alpha Care", "on_time").reason
    assert "1 of 3 months in" in result(report, "Beta Care", "on_time").reason


def test_a_month_with_errors_is_left_out_of_the_quarter_and_the_result_says_so(market_fw: Framework,
                                                                                folder: Folder) -> None:
    folder.add("alpha-01.xlsx", "Alpha Care", date(2026, 1, 1), calls_total=100, calls_late=5)
    folder.add("alpha-02.xlsx", "Alpha Care", date(2026, 2, 1), calls_total=100, calls_late="lots")
    folder.add("alpha-03.xlsx", "Alpha Care", date(2026, 3, 1), calls_total=100, calls_late=15)
    got = result(market(market_fw, folder, period="2026-Q1"), "Alpha Care", "on_time")
    assert (got.numerator, got.denominator) == (180, 200)
    assert "left out because the return has errors: 2026-02" in got.reason


def test_four_weekly_periods_go_into_the_quarter_holding_their_last_day(market_fw: Framework, folder: Folder) -> None:
    # periods from 5 Jan 2026: 5 Jan-1 Feb, 2 Feb-1 Mar, 2 Mar-29 Mar (Q1), 30 Mar-26 Apr (Q2)
    for start, visits in ((date(2026, 1, 5), 100), (date(2026, 2, 2), 100), (date(2026, 3, 2), 80),
                          (date(2026, 3, 30), 500)):
        folder.add(f"alpha-{start}.xlsx", "Alpha Care", start, rid="four_weekly", visits=visits)
    report = market(market_fw, folder, period="2026-Q1", return_id="four_weekly")
    got = result(report, "Alpha Care", "visit_target")
    # 280 visits in three four-week periods; 1300 a year pro-rated to 3 x 12/13 months is 300
    assert (got.value, got.band) == (Decimal(280), "red")
    assert "does not meet the target 300" in got.reason


def test_a_period_shorter_than_the_returns_is_refused(market_fw: Framework, folder: Folder) -> None:
    folder.add("alpha-4w.xlsx", "Alpha Care", date(2026, 1, 5), rid="four_weekly", visits=1)
    with pytest.raises(Exception, match="shorter than one of their periods"):
        market(market_fw, folder, period="2026-01", return_id="four_weekly")


# --- who sent what ---------------------------------------------------------------------------------------


def test_a_missing_month_is_listed(market_fw: Framework, folder: Folder) -> None:
    folder.add("alpha-01.xlsx", "Alpha Care", date(2026, 1, 1), calls_total=100, calls_late=5)
    folder.add("alpha-03.xlsx", "Alpha Care", date(2026, 3, 1), calls_total=100, calls_late=5)
    report = market(market_fw, folder, period="2026-Q1")
    missing = [f for f in report.findings if f.code.code == "M107"]
    assert [(f.provider, f.period) for f in missing] == [("1-000000001", "2026-02")]
    assert "the Council may give notice in writing" in missing[0].message
    assert report.summary()["returns"]["missing"] == 1


def test_a_file_named_for_another_month_than_its_cover(market_fw: Framework, folder: Folder) -> None:
    folder.add("alpha-2026-06.xlsx", "Alpha Care", date(2026, 5, 1), calls_total=100, calls_late=5)
    report = market(market_fw, folder)
    f = next(f for f in report.findings if f.code.code == "M106")
    assert "names June 2026, but the cover's reporting period is May 2026" in f.message


def test_resubmission_the_later_one_in_the_register_wins(market_fw: Framework, folder: Folder) -> None:
    first = folder.add("alpha-03.xlsx", "Alpha Care", date(2026, 3, 1), calls_total=100, calls_late=50)
    second = folder.add("alpha-03-resubmitted.xlsx", "Alpha Care", date(2026, 3, 1), calls_total=100, calls_late=5)
    for name in ("beta", "gamma", "delta"):
        folder.add(f"{name}-03.xlsx", f"{name.title()} Care", date(2026, 3, 1), calls_total=100, calls_late=10)
    register = folder.write("register.csv", "provider,period,return,received,file,status\n"
                                            f"Alpha Care,2026-03,monthly,2026-04-03,{first.name},\n"
                                            f"1-000000001,2026-03,monthly,2026-04-09,{second.name},\n")
    report = market(market_fw, folder, register=register)
    status = {Path(s.file).name: s.status for s in report.submissions.received}
    assert status["alpha-03.xlsx"] == "superseded" and status["alpha-03-resubmitted.xlsx"] == "counted"
    assert result(report, "Alpha Care", "on_time").value == Decimal(95)  # the resubmission's figures
    # the superseded return is not a peer: four returns, not five
    late = result(report, "Alpha Care", "late_rate")
    assert late.reason.startswith("top quartile of 4 returns for 2026-03") and len(late.peers) == 4
    # received on 9 April, after the 7th: late
    assert report.summary()["returns"]["late"] == 1


def test_resubmission_without_register_dates_is_a_conflict_and_neither_counts(market_fw: Framework,
                                                                              folder: Folder) -> None:
    folder.add("alpha-03.xlsx", "Alpha Care", date(2026, 3, 1), calls_total=100, calls_late=50)
    folder.add("alpha-03-v2.xlsx", "Alpha Care", date(2026, 3, 1), calls_total=100, calls_late=5)
    report = market(market_fw, folder)
    assert {s.status for s in report.submissions.received} == {"conflict"}
    f = next(f for f in report.findings if f.code.code == "M105")
    assert "sent 2 returns for March 2026 (alpha-03-v2.xlsx, alpha-03.xlsx)" in f.message
    assert report.summary()["returns"]["conflicts"] == 2
    assert all(not r.counts for r in report.scores.returns)


def test_a_withdrawn_return_does_not_count(market_fw: Framework, folder: Folder) -> None:
    folder.add("alpha-03.xlsx", "Alpha Care", date(2026, 3, 1), calls_total=100, calls_late=50)
    register = folder.write("register.csv", "provider,period,return,received,file,status\n"
                                            "Alpha Care,2026-03,monthly,2026-04-03,alpha-03.xlsx,withdrawn\n")
    report = market(market_fw, folder, register=register)
    assert [s.status for s in report.submissions.received] == ["withdrawn"]


def test_one_provider_with_and_without_the_optional_cqc_id(market_fw: Framework, folder: Folder) -> None:
    folder.add("alpha-01.xlsx", "Alpha Care", date(2026, 1, 1), calls_total=100, calls_late=5)
    folder.add("alpha-02.xlsx", "alpha  care", date(2026, 2, 1), cqc=None, calls_total=100, calls_late=5)
    folder.add("alpha-03.xlsx", "Alpha Care", date(2026, 3, 1), cqc=None, calls_total=100, calls_late=5)
    report = market(market_fw, folder, period="2026-Q1")
    assert [(p.id, p.name) for p in report.directory.providers] == [("1-000000001", "Alpha Care")]
    assert result(report, "Alpha Care", "on_time").denominator == 300
    assert report.summary()["returns"]["missing"] == 0


def test_the_providers_file_matches_by_id_then_name_or_alias(market_fw: Framework, folder: Folder) -> None:
    folder.add("a.xlsx", "Alpha Homecare Ltd", date(2026, 3, 1), cqc=None, calls_total=100, calls_late=5)
    folder.add("b.xlsx", "Someone Else", date(2026, 3, 1), cqc="1-000000002", calls_total=100, calls_late=5)
    folder.add("c.xlsx", "Beta Care", date(2026, 3, 1), cqc="1-000000001", calls_total=100, calls_late=5)
    folder.add("d.xlsx", "Unknown Care", date(2026, 3, 1), cqc=None, calls_total=100, calls_late=5)
    providers = folder.write("providers.csv",
                             "provider_id,name,cqc_location_id,aliases,service_types,contract_start,contract_end,returns\n"
                             "A,Alpha Care,1-000000001,Alpha Homecare Ltd;Alpha,,2025-04-01,,monthly\n"
                             "B,Beta Care,1-000000002,,,2025-04-01,,monthly\n")
    report = market(market_fw, folder, providers=providers)
    who = {Path(s.file).name: (s.provider.id if s.provider else None, s.status) for s in report.submissions.received}
    assert who == {"a.xlsx": ("A", "conflict"), "b.xlsx": ("B", "counted"), "c.xlsx": ("A", "conflict"),
                   "d.xlsx": (None, "unmatched")}
    found = {f.code.code for f in report.findings}
    assert {"M101", "M102", "M105"} <= found  # unmatched, name/ID conflict, two returns for one period
    m102 = next(f for f in report.findings if f.code.code == "M102")
    assert "the cover names 'Beta Care', which is Beta Care (B)" in m102.message


def test_a_return_before_the_contract_started_does_not_count(market_fw: Framework, folder: Folder) -> None:
    folder.add("a.xlsx", "Alpha Care", date(2026, 3, 1), calls_total=100, calls_late=5)
    providers = folder.write("providers.csv", "provider_id,name,cqc_location_id,contract_start\n"
                                              "A,Alpha Care,1-000000001,2026-04-01\n")
    report = market(market_fw, folder, providers=providers)
    assert [s.status for s in report.submissions.received] == ["outside contract"]
    assert "falls outside its contract (from 01 April 2026)" in next(
        f.message for f in report.findings if f.code.code == "M104")


# --- timeliness ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("received", "on_time"), [
    ("2026-03-06", True),   # 7 March 2026 is a Saturday: due the Friday before
    ("2026-03-07", False),
    ("2026-05-22", True),   # 25 May 2026 is the spring bank holiday: due Friday 22 May
    ("2026-05-25", False),
])
def test_deadlines_move_off_weekends_and_bank_holidays(market_fw: Framework, tmp_path: Path, templates: dict[str, bytes],
                                                       received: str, on_time: bool) -> None:
    text = MARKET.replace("day: 7, not_working_day: previous", "day: 25, not_working_day: previous") \
        if received.startswith("2026-05") else MARKET
    fw = load_framework_text(text, "market.yaml")
    folder = Folder(tmp_path / "r", {r.id: template_bytes(fw, r.id) for r in fw.returns})
    month = date(2026, 4, 1) if received.startswith("2026-05") else date(2026, 2, 1)
    folder.add("a.xlsx", "Alpha Care", month, calls_total=100, calls_late=5)
    register = folder.write("register.csv", f"provider,period,return,received\nAlpha Care,{month:%Y-%m},monthly,{received}\n")
    report = score_paths(fw, [folder.root], register=register, today=TODAY)
    assert report.submissions.received[0].on_time is on_time


def test_without_a_register_timeliness_is_unknown(market_fw: Framework, folder: Folder) -> None:
    folder.add("a.xlsx", "Alpha Care", date(2026, 3, 1), calls_total=100, calls_late=5)
    report = market(market_fw, folder)
    assert report.summary()["returns"]["timeliness_unknown"] == 1
    assert report.submissions.received[0].timeliness == "unknown"


def _months(folder: Folder, provider: str, lates: list[int], first: int = 1) -> None:
    for i, late in enumerate(lates):
        m = first + i
        folder.add(f"{provider.split()[0].lower()}-2026-{m:02d}.xlsx", provider, date(2026, m, 1), calls_total=100,
                   calls_late=late)


@pytest.mark.parametrize(("late_months", "failure"), [(2, False), (3, True)])
def test_consecutive_late_returns_at_exactly_two_and_three(market_fw: Framework, folder: Folder, late_months: int,
                                                           failure: bool) -> None:
    _months(folder, "Alpha Care", [5, 5, 5, 5])
    rows = ["provider,period,return,received"]
    for m in range(1, 5):
        late = m > 4 - late_months
        rows.append(f"Alpha Care,2026-{m:02d},monthly,2026-{m + 1:02d}-{'20' if late else '02'}")
    register = folder.write("register.csv", "\n".join(rows) + "\n")
    report = market(market_fw, folder, register=register)
    j302 = [f for f in report.findings if f.code.code == "J302"]
    assert bool(j302) is failure
    if failure:
        assert "late or missing in 3 consecutive periods (2026-02 late, 2026-03 late, 2026-04 late): service failure" \
               in j302[0].message
        assert report.summary()["service_failures"] == [j302[0].message]


def test_missing_returns_count_towards_the_service_failure(market_fw: Framework, folder: Folder) -> None:
    _months(folder, "Alpha Care", [5])
    _months(folder, "Beta Care", [5, 5, 5, 5])  # the market's months run to April
    report = market(market_fw, folder)
    assert [f.provider for f in report.findings if f.code.code == "J302"] == ["1-000000001"]


@pytest.mark.parametrize(("reds", "failure"), [(2, False), (3, True)])
def test_the_same_kpi_red_at_exactly_two_and_three_periods(market_fw: Framework, folder: Folder, reds: int,
                                                           failure: bool) -> None:
    _months(folder, "Alpha Care", [5] * (4 - reds) + [40] * reds)
    report = market(market_fw, folder)
    j301 = [f for f in report.findings if f.code.code == "J301" and f.field == "on_time"]
    assert bool(j301) is failure
    if failure:
        assert "Calls on time Red in 3 consecutive periods (2026-02, 2026-03, 2026-04): consistent failure" \
               in j301[0].message


# --- trends and queries --------------------------------------------------------------------------------


def test_direction_of_travel_honours_the_kpis_direction(market_fw: Framework, folder: Folder) -> None:
    _months(folder, "Alpha Care", [20, 10])
    report = market(market_fw, folder)
    row = report.rows[0]
    assert row.directions["on_time"] == "better"  # 80% -> 90%
    trend = report.trends[str(folder.root / "alpha-2026-02.xlsx")]
    assert trend["on_time"] == "better" and trend["late_rate"] == "better"  # lower is better: 20% -> 10%
    assert report.trends[str(folder.root / "alpha-2026-01.xlsx")]["on_time"] is None


def test_a_figure_that_moves_by_more_than_half_is_queried(market_fw: Framework, folder: Folder) -> None:
    folder.add("a-01.xlsx", "Alpha Care", date(2026, 1, 1), calls_total=1000, calls_late=5)
    folder.add("a-02.xlsx", "Alpha Care", date(2026, 2, 1), calls_total=400, calls_late=8)
    report = market(market_fw, folder)
    q = [f for f in report.findings if f.code.code == "Q201"]
    assert [(f.field, f.period) for f in q] == [("calls_total", "2026-02")]  # 5 -> 8 is under the 10 minimum
    assert "Alpha Care: Total calls moved from 1000 in 2026-01 to 400 in 2026-02 (-60%" in q[0].message
    assert q[0].level == "warning"


def test_a_query_the_provider_explained_stays_a_warning_marked_explained(market_fw: Framework,
                                                                         folder: Folder) -> None:
    folder.add("a-01.xlsx", "Alpha Care", date(2026, 1, 1), calls_total=1000, calls_late=5)
    folder.add("a-02.xlsx", "Alpha Care", date(2026, 2, 1), calls_total=400, calls_late=8,
               tables={"explanations": [["calls_total", "Q201", "Two large packages ended in January"]]})
    folder.add("b-01.xlsx", "Beta Care", date(2026, 1, 1), calls_total=1000, calls_late=5)
    folder.add("b-02.xlsx", "Beta Care", date(2026, 2, 1), calls_total=300, calls_late=8,
               tables={"explanations": [["calls_late", "Q201", "explains another figure"]]})
    report = market(market_fw, folder)
    q = {f.provider: f for f in report.findings if f.code.code == "Q201"}
    assert q["1-000000001"].explanation == "Two large packages ended in January"
    assert q["1-000000001"].level == "warning"
    assert q["1-000000001"].to_dict()["explained"] is True
    assert q["1-000000002"].explanation is None  # an explanation of another item explains nothing here
    text = render("text", "market", report, RenderOptions(width=250))
    assert "(explained by the provider: Two large packages ended in January)" in text


def test_a_kpi_far_from_the_peer_mean_is_queried(market_fw: Framework, folder: Folder) -> None:
    for i, name in enumerate(["Alpha Care", "Beta Care", "Gamma Care", "Delta Care", "Eps Care"]):
        folder.add(f"p{i}.xlsx", name, date(2026, 3, 1), calls_total=1000, calls_late=[50, 52, 48, 51, 49][i])
    for i in range(5, 10):
        folder.add(f"p{i}.xlsx", f"Other {i}", date(2026, 3, 1), calls_total=1000, calls_late=50 if i < 9 else 400)
    report = market(market_fw, folder)
    q = [f for f in report.findings if f.code.code == "Q202" and f.field == "on_time"]
    assert len(q) == 1 and "Other 9" in q[0].message and "below the mean of the 10 returns for 2026-03" in q[0].message


# --- output -----------------------------------------------------------------------------------------------


def _cli(*args: str) -> Any:
    return runner.invoke(app, [*args, "--today", "2026-11-22"])


def test_shuffled_file_order_gives_identical_output(tmp_path: Path) -> None:
    samples = bundled_dir("sample_returns") / "surrey"
    files = sorted(str(p) for p in samples.glob("*.xlsx"))
    extra = ["--register", str(samples / "register.csv"), "--providers", str(samples / "providers.csv"),
             "--commissioner-data", str(samples / "commissioner-data.csv")]
    outputs = set()
    for seed in range(4):
        shuffled = files[:]
        random.Random(seed).shuffle(shuffled)
        for fmt in ("text", "json", "csv"):
            r = _cli("score", "--framework", "surrey", *shuffled, *extra, "--format", fmt, "--period", "2026-Q1")
            assert r.exit_code == 0, r.output
            outputs.add((fmt, r.stdout))
    assert len(outputs) == 3


def test_text_fits_the_terminal_by_splitting_kpis(tmp_path: Path) -> None:
    from carekpi.render import RenderOptions, render

    report = score_paths(find_framework("bcp"), [], today=TODAY)
    for width in (80, 100, 150):
        text = render("text", "market", report, RenderOptions(width=width))
        assert isinstance(text, str)
        assert max(len(line) for line in text.splitlines()) <= width
    assert "(1 of " in text


def test_csv_is_tidy_long_data(tmp_path: Path) -> None:
    r = _cli("score", "--framework", "surrey", "--format", "csv", "--period", "2026-Q1")
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert list(rows[0]) == ["provider_id", "provider_name", "cqc_location_id", "period", "period_start", "period_end",
                             "cadence", "return_type", "file", "received", "on_time", "kpi", "ref", "label",
                             "numerator", "denominator", "value", "target", "band", "direction", "critical",
                             "critical_failure", "flags", "reason", "consequences"]
    months = [r for r in rows if r["provider_id"] == "OR" and r["kpi"] == "successful_calls"]
    assert [(r["period"], r["received"], r["on_time"]) for r in months[:3]] == [
        ("2026-01", "2026-02-13", "no"), ("2026-02", "2026-03-16", "no"), ("2026-03", "2026-04-20", "no")]
    quarter = [r for r in rows if r["cadence"] == "quarterly"]
    assert len(quarter) == 3 * 4 and {r["flags"] for r in quarter} == {"put together"}


def test_json_carries_the_summary_with_one_definition_of_each_count() -> None:
    r = _cli("score", "--framework", "surrey", "--format", "json")
    doc = json.loads(r.stdout)
    assert doc["summary"]["returns"] == {"expected": 3, "received": 3, "on_time": 2, "late": 1, "timeliness_unknown": 0,
                                         "missing": 0, "not_yet_due": 0, "superseded": 0, "conflicts": 0,
                                         "invalid": 0, "unreadable": 0}
    text = _cli("score", "--framework", "surrey").stdout
    assert "3 expected, 3 received (2 on time, 1 late, 0 unknown), 0 missing" in text


def test_score_infers_the_framework_from_the_workbooks(tmp_path: Path) -> None:
    samples = bundled_dir("sample_returns") / "surrey"
    r = _cli("score", str(samples / "brightwater-2026-01.xlsx"))
    assert r.exit_code == 0 and "surrey Monthly performance monitoring return: January 2026" in r.stdout
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    shutil.copy(samples / "brightwater-2026-01.xlsx", mixed)
    shutil.copy(bundled_dir("sample_returns") / "bcp" / "harbourside-2025-q2.xlsx", mixed)
    r = _cli("score", str(mixed))
    assert r.exit_code == 2 and "name several (bcp: harbourside-2025-q2.xlsx; surrey: brightwater-2026-01.xlsx)" in r.stderr


# --- the bundled Cheshire East frameworks ---------------------------------------------------------------


def test_dpss_timeliness_kpi_is_worked_out_from_the_register(tmp_path: Path) -> None:
    samples = bundled_dir("sample_returns") / "cheshire-east-dpss"
    register = tmp_path / "register.csv"
    register.write_text("provider,period,return,received\n"
                        "Peaks and Plains DP Services,2026-Q1,quarterly,2026-04-15\n"
                        "Peaks and Plains DP Services,2025/26,annual,2026-05-06\n", encoding="utf-8")
    fw = find_framework("cheshire-east-dpss")
    report = score_paths(fw, [samples / "peaks-2026-q2.xlsx"], register=register, today=TODAY)
    k = next(k for k in report.scores.returns[0].kpis if k.kpi == "data_timeliness")
    # due in Apr-Jun 2026: the Q1 return (15 April, on time) and the 2025/26 annual return (30 April, late)
    assert (k.numerator, k.denominator, k.band) == (1, 2, "red")


def test_a_quarter_with_errors_is_excluded_from_the_12_month_judgement(tmp_path: Path) -> None:
    samples = bundled_dir("sample_returns") / "cheshire-east-dpss"
    folder = tmp_path / "dpss"
    folder.mkdir()
    for q in ("2025-q4", "2026-q1", "2026-q3"):
        shutil.copy(samples / f"cheshire-{q}.xlsx", folder)
    # the 2026-Q2 return with a breakdown that does not add up (V202)
    broken = fill_workbook((samples / "cheshire-2026-q2.xlsx").read_bytes(), {"referrals_source_adult_social_care": 1})
    (folder / "cheshire-2026-q2.xlsx").write_bytes(broken)
    fw = find_framework("cheshire-east-dpss")
    report = score_paths(fw, [folder], today=TODAY, return_id="quarterly")
    latest = next(s for s in report.scores.returns if s.file.endswith("cheshire-2026-q3.xlsx"))
    rolling = next(k for k in latest.kpis if k.kpi.endswith("_12_months"))
    assert rolling.band == "na"
    assert "2026-Q2 is excluded because the return has errors" in rolling.reason

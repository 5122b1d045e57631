"""Framework diffs: each edit of surrey.yaml gives exactly the expected changes and flags."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from carekpi.base.errors import FrameworkError, UsageError
from carekpi.framework.diff import (
    Change,
    FrameworkDiff,
    diff_frameworks,
    load_framework_ref,
)
from carekpi.framework.loader import load_framework_text
from carekpi.framework.model import Framework
from carekpi.render.diff import render_json, render_markdown, render_text

ROOT = Path(__file__).resolve().parents[1]
SURREY = ROOT / "frameworks" / "surrey.yaml"
TEXT = SURREY.read_text(encoding="utf-8")


def _sub(text: str, old: str, new: str) -> str:
    assert old in text, f"edit anchor not found in surrey.yaml: {old!r}"
    return text.replace(old, new, 1)


def _edited(*edits: tuple[str, str]) -> Framework:
    text = TEXT
    for old, new in edits:
        text = _sub(text, old, new)
    return load_framework_text(text, "edited.yaml")


@pytest.fixture(scope="module")
def base() -> Framework:
    return load_framework_text(TEXT, "surrey.yaml")


def _diff(base: Framework, *edits: tuple[str, str]) -> FrameworkDiff:
    return diff_frameworks(base, _edited(*edits))


def _summary(diff: FrameworkDiff) -> list[tuple[str, str, bool, str]]:
    return [(c.kind, c.path, c.breaking, c.category) for c in diff.changes]


# --- edits ----------------------------------------------------------------------------------

RENAME = [
    ("- id: calls_late\n", "- id: calls_late_count\n"),
    ("calls_total - calls_late - calls_rescheduled", "calls_total - calls_late_count - calls_rescheduled"),
    ("calls_late + calls_rescheduled", "calls_late_count + calls_rescheduled"),
]
DEADLINE_5 = ("      day: 7\n", "      day: 5\n")
GREEN_92 = ("      green: 90\n", "      green: 92\n")
STAFF_BY_SCC = (
    "            label: Total number staff\n            type: count\n",
    "            label: Total number staff\n            type: count\n"
    "            source: commissioner\n",
)
NEW_ITEM = """          - id: complaints_escalated
            label: Complaints escalated to the Ombudsman
            type: count
            required: {required}
"""
SAFEGUARDING = "          - id: safeguarding_referrals\n"


def test_identical_frameworks_have_no_changes(base: Framework) -> None:
    diff = diff_frameworks(base, load_framework_text(TEXT, "copy.yaml"))
    assert diff.changes == ()
    assert not diff
    assert not diff.has_breaking
    assert "No changes" in render_text(diff)
    assert "No changes" in render_markdown(diff)
    assert json.loads(render_json(diff))["changes"] == []


def test_rename_item_id(base: Framework) -> None:
    diff = _diff(base, *RENAME)
    assert _summary(diff) == [
        ("item_renamed", "returns.monthly.items.calls_late_count", True, "workbook"),
    ]
    change = diff.changes[0]
    assert (change.old, change.new) == ("calls_late", "calls_late_count")


def test_rename_is_not_paired_when_label_is_ambiguous(base: Framework) -> None:
    # packages_ceased and linc_packages_ceased share label and definition: a new item with that
    # label could be either, so removing one and adding another is a remove plus an add.
    diff = _diff(base, ("- id: packages_ceased\n", "- id: packages_ceased_total\n"))
    assert _summary(diff) == [
        ("item_renamed", "returns.monthly.items.packages_ceased_total", True, "workbook"),
    ]
    text = TEXT.replace("- id: packages_ceased\n", "- id: packages_ceased_total\n", 1)
    text = text.replace("- id: linc_packages_ceased\n", "- id: linc_packages_ended\n", 1)
    diff = diff_frameworks(base, load_framework_text(text, "edited.yaml"))
    assert sorted(c.kind for c in diff.changes) == [
        "item_added", "item_added", "item_removed", "item_removed",
    ]
    assert all(c.breaking for c in diff.changes)


def test_retype_item(base: Framework) -> None:
    diff = _diff(base, (
        "            label: Number of missed calls\n            type: count\n",
        "            label: Number of missed calls\n            type: number\n",
    ))
    assert _summary(diff) == [
        ("item_retyped", "returns.monthly.items.calls_missed.type", True, "workbook"),
    ]
    assert (diff.changes[0].old, diff.changes[0].new) == ("count", "number")


def test_remove_item(base: Framework) -> None:
    start = TEXT.index("          - id: complaints_closed\n")
    end = TEXT.index(SAFEGUARDING)
    diff = _diff(base, (TEXT[start:end], ""))
    assert _summary(diff) == [
        ("item_removed", "returns.monthly.items.complaints_closed", True, "workbook"),
    ]


def test_remove_commissioner_item_is_not_breaking(base: Framework) -> None:
    start = TEXT.index("          - id: pocs_awarded\n")
    end = TEXT.index("        breakdowns:\n          - id: pocs_no_response_in\n")
    diff = _diff(base, (TEXT[start:end], ""))
    assert _summary(diff) == [
        ("item_removed", "returns.monthly.items.pocs_awarded", False, "workbook"),
    ]


def test_required_when_changed_is_reported(base: Framework) -> None:
    diff = _diff(base, ("required_when: complaints_upheld > 0", "required_when: complaints_upheld > 1"))
    assert _summary(diff) == [
        ("item_required_changed", "returns.monthly.items.complaints_upheld_reasons.required_when", True, "workbook"),
    ]
    assert diff.changes[0].message == ('Item "Reason for each formal complaint upheld" (complaints_upheld_reasons) is '
                                       "now required only when complaints_upheld > 1 (was only when "
                                       "complaints_upheld > 0).")


def test_judging_on_the_exact_value_is_a_scoring_change(base: Framework) -> None:
    diff = _diff(base, ("      green: 90\n      amber: 75\n", "      green: 90\n      amber: 75\n      judge: exact\n"))
    assert _summary(diff) == [("band_changed", "kpis.successful_calls.bands.judge", False, "scoring")]
    assert "the value judged (rounded or exact) is now exact (was rounded)" in diff.changes[0].message


def test_add_required_item(base: Framework) -> None:
    diff = _diff(base, (SAFEGUARDING, NEW_ITEM.format(required="true") + SAFEGUARDING))
    assert _summary(diff) == [
        ("item_added", "returns.monthly.items.complaints_escalated", True, "workbook"),
    ]
    assert "required from all providers" in diff.changes[0].message


def test_add_optional_item_is_not_breaking(base: Framework) -> None:
    diff = _diff(base, (SAFEGUARDING, NEW_ITEM.format(required="false") + SAFEGUARDING))
    assert _summary(diff) == [
        ("item_added", "returns.monthly.items.complaints_escalated", False, "workbook"),
    ]


def test_change_threshold(base: Framework) -> None:
    diff = _diff(base, GREEN_92)
    assert _summary(diff) == [
        ("band_changed", "kpis.successful_calls.bands.green", False, "scoring"),
    ]
    assert (diff.changes[0].old, diff.changes[0].new) == ("90", "92")
    assert diff.affects_scoring


def test_change_band_scheme(base: Framework) -> None:
    diff = _diff(base, (
        "      scheme: thresholds\n      direction: higher\n      green: 90\n      amber: 75\n",
        "      scheme: met\n      target: 90\n",
    ))
    assert _summary(diff) == [
        ("band_scheme_changed", "kpis.successful_calls.bands.scheme", False, "scoring"),
    ]
    assert (diff.changes[0].old, diff.changes[0].new) == ("thresholds", "met")


def test_deadline_earlier_is_breaking(base: Framework) -> None:
    diff = _diff(base, DEADLINE_5)
    assert _summary(diff) == [("deadline_changed", "returns.monthly.deadline", True, "deadline")]
    change = diff.changes[0]
    assert (change.old, change.new) == (
        "the 7th of the following month", "the 5th of the following month",
    )
    assert "the October 2021 return is due 5 November 2021 instead of 7 November 2021" in (
        change.message
    )


def test_deadline_later_is_not_breaking(base: Framework) -> None:
    diff = _diff(base, ("      day: 7\n", "      day: 10\n"))
    assert _summary(diff) == [("deadline_changed", "returns.monthly.deadline", False, "deadline")]


def test_deadline_moved_to_previous_working_day_is_breaking(base: Framework) -> None:
    diff = _diff(base, ("      not_working_day: keep\n", "      not_working_day: previous\n"))
    assert _summary(diff) == [("deadline_changed", "returns.monthly.deadline", True, "deadline")]


def test_cadence_change_is_breaking(base: Framework) -> None:
    diff = _diff(base, ("    cadence: monthly\n", "    cadence: quarterly\n"))
    assert _summary(diff) == [("cadence_changed", "returns.monthly.cadence", True, "deadline")]


def test_make_item_commissioner_supplied(base: Framework) -> None:
    diff = _diff(base, STAFF_BY_SCC)
    assert _summary(diff) == [
        ("item_source_changed", "returns.monthly.items.staff_total.source", False, "workbook"),
    ]
    assert (diff.changes[0].old, diff.changes[0].new) == ("provider", "commissioner")


def test_make_item_provider_supplied_is_breaking(base: Framework) -> None:
    diff = _diff(base, (
        "            label: No. of POCs awarded\n            type: count\n"
        "            source: commissioner\n",
        "            label: No. of POCs awarded\n            type: count\n",
    ))
    assert _summary(diff) == [
        ("item_source_changed", "returns.monthly.items.pocs_awarded.source", True, "workbook"),
    ]


def test_add_kpi(base: Framework) -> None:
    kpi = """  - id: orientation_completed
    label: New staff completing orientation training (%)
    return: monthly
    kind: ratio
    numerator: staff_orientation_completed
    denominator: staff_orientation_eligible
    bands:
      scheme: none
"""
    diff = diff_frameworks(base, load_framework_text(TEXT.rstrip("\n") + "\n" + kpi, "x.yaml"))
    assert _summary(diff) == [("kpi_added", "kpis.orientation_completed", False, "scoring")]


def test_change_critical_flag(base: Framework) -> None:
    diff = _diff(base, (
        "    numerator: calls_successful\n",
        "    numerator: calls_successful\n    critical: true\n",
    ))
    assert _summary(diff) == [
        ("kpi_critical_changed", "kpis.successful_calls.critical", False, "scoring"),
    ]
    assert (diff.changes[0].old, diff.changes[0].new) == (False, True)
    assert "is now a critical KPI" in diff.changes[0].message


def test_numerator_change_affects_scoring(base: Framework) -> None:
    diff = _diff(base, ("    denominator: calls_due\n", "    denominator: calls_total\n"))
    assert _summary(diff) == [
        ("kpi_denominator_changed", "kpis.successful_calls.denominator", False, "scoring"),
    ]


def test_relabel_is_documentation(base: Framework) -> None:
    diff = _diff(base, ("label: Number of late calls\n", "label: Number of calls delivered late\n"))
    assert _summary(diff) == [
        ("item_relabelled", "returns.monthly.items.calls_late.label", False, "documentation"),
    ]


def test_tighter_and_looser_bounds(base: Framework) -> None:
    max_100 = (
        "            label: Number of late calls\n            type: count\n",
        "            label: Number of late calls\n            type: count\n            max: 100\n",
    )
    tighter = _diff(base, max_100)
    assert _summary(tighter) == [
        ("item_max_changed", "returns.monthly.items.calls_late.max", True, "workbook"),
    ]
    looser = diff_frameworks(_edited(max_100), base)
    assert _summary(looser) == [
        ("item_max_changed", "returns.monthly.items.calls_late.max", False, "workbook"),
    ]


def test_applies_to_widened_is_breaking_and_narrowed_is_not(base: Framework) -> None:
    widen = ("        applies_to: [linc]\n", "        applies_to: [linc, hbc]\n")
    diff = _diff(base, widen)
    kinds = {(c.kind, c.breaking) for c in diff.changes}
    assert kinds == {("item_applies_to_changed", True)}
    assert len(diff.changes) == 6  # every live-in care item
    narrowed = diff_frameworks(_edited(widen), base)
    assert {(c.kind, c.breaking) for c in narrowed.changes} == {("item_applies_to_changed", False)}


def test_rules_added_removed_changed(base: Framework) -> None:
    new_error = ("    rules:\n", "    rules:\n      - id: closed_within_received\n"
                 "        check: complaints_closed <= complaints_received + complaints_open\n")
    assert _summary(_diff(base, new_error)) == [
        ("rule_added", "returns.monthly.rules.closed_within_received", True, "workbook"),
    ]
    new_warning = (new_error[0], new_error[1] + "        severity: warning\n")
    assert _summary(_diff(base, new_warning)) == [
        ("rule_added", "returns.monthly.rules.closed_within_received", False, "workbook"),
    ]
    removed = ("      - id: restarts_taken_within_offered\n"
               "        check: restarts_taken <= restarts_offered\n", "")
    assert _summary(_diff(base, removed)) == [
        ("rule_removed", "returns.monthly.rules.restarts_taken_within_offered", False, "workbook"),
    ]
    demoted = ("        check: restarts_taken <= restarts_offered\n",
               "        check: restarts_taken <= restarts_offered\n        severity: warning\n")
    assert _summary(_diff(base, demoted)) == [
        ("rule_changed", "returns.monthly.rules.restarts_taken_within_offered", False, "workbook"),
    ]
    promoted = diff_frameworks(_edited(demoted), base)
    assert _summary(promoted) == [
        ("rule_changed", "returns.monthly.rules.restarts_taken_within_offered", True, "workbook"),
    ]


def test_new_return_type_is_breaking(base: Framework) -> None:
    annual = """  - id: annual
    label: Annual return
    cadence: annual
    deadline:
      rule: fixed
      day: 30
      month: 4
    sections:
      - id: annual_staff
        label: Staff
        sheet: Annual
        fields:
          - id: annual_staff_total
            label: Staff at year end
            type: count
kpis:
"""
    diff = _diff(base, ("kpis:\n", annual))
    assert _summary(diff) == [("return_added", "returns.annual", True, "workbook")]
    assert "due 30 April after the period ends" in diff.changes[0].message


def test_note_changes_are_documentation(base: Framework) -> None:
    diff = _diff(base, ("  - title: Rounding and bands\n", "  - title: Rounding and banding\n"))
    assert _summary(diff) == [
        ("note_added", "framework.notes[Rounding and banding]", False, "documentation"),
        ("note_removed", "framework.notes[Rounding and bands]", False, "documentation"),
    ]


def test_change_is_frozen(base: Framework) -> None:
    change = _diff(base, GREEN_92).changes[0]
    assert isinstance(change, Change)
    with pytest.raises(AttributeError):
        change.breaking = True  # type: ignore[misc]


# --- renderers ------------------------------------------------------------------------------

COMBINED = [
    ('version: "2021.10"', 'version: "2022.04"'),
    ("effective_from: 2021-10-01", "effective_from: 2022-04-01"),
    *RENAME,
    DEADLINE_5,
    GREEN_92,
    STAFF_BY_SCC,
]

MARKDOWN_GOLDEN = """\
## Care within the Home Services Performance Monitoring Framework (Schedule 5)

**Framework surrey, version 2021.10 → 2022.04, effective 2022-04-01 (was 2021-10-01).**

**2 breaking changes for providers (4 changes in all).**

Some changes affect scoring: KPI results may differ from earlier periods.

### Workbook changes

What providers fill in and how it is checked.

- **Breaking:** Item "Number of late calls" (calls_late_count) was renamed from calls_late to \
calls_late_count; its name in the workbook changes. (`returns.monthly.items.calls_late_count`)
- Item "Total number staff" (staff_total) is now supplied by the commissioner, not the provider; \
providers no longer fill it in. (`returns.monthly.items.staff_total.source`)

### Deadline changes

When returns are due.

- **Breaking:** The deadline for the "Monthly performance monitoring return" is earlier: now the \
5th of the following month (was the 7th of the following month); the April 2022 return is due \
5 May 2022 instead of 7 May 2022. (`returns.monthly.deadline`)

### Scoring changes

These affect scoring: how KPIs are calculated or banded. They do not change the workbook.

- KPI 1 "% of Successful Calls": the Green threshold is now 92 (was 90). \
(`kpis.successful_calls.bands.green`)
"""


def test_markdown_golden_for_combined_edit(base: Framework) -> None:
    assert render_markdown(_diff(base, *COMBINED)) == MARKDOWN_GOLDEN


def test_text_rendering(base: Framework) -> None:
    text = render_text(_diff(base, *COMBINED))
    lines = text.splitlines()
    assert lines[1] == (
        "Framework surrey, version 2021.10 -> 2022.04, effective 2022-04-01 (was 2021-10-01)"
    )
    assert lines[2] == "2 breaking changes for providers (4 changes in all)."
    assert "  BREAKING item_renamed returns.monthly.items.calls_late_count" in lines
    assert "  band_changed kpis.successful_calls.bands.green" in lines
    one = render_text(_diff(base, GREEN_92)).splitlines()
    assert one[1] == "Framework surrey, version 2021.10 (unchanged), effective 2021-10-01"
    assert one[2] == "0 breaking changes for providers (1 change in all)."


def test_json_is_stable_and_sorted(base: Framework) -> None:
    diff = _diff(base, *COMBINED)
    out = render_json(diff)
    assert out == render_json(_diff(base, *COMBINED))
    data = json.loads(out)
    assert out == json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    paths = [(c["path"], c["kind"]) for c in data["changes"]]
    assert paths == sorted(paths)
    # the same changes in another order render identically
    shuffled = FrameworkDiff(diff.old, diff.new, tuple(reversed(diff.changes)))
    assert render_json(shuffled) == out
    assert data["summary"] == {
        "breaking": 2,
        "by_category": {"deadline": 1, "documentation": 0, "scoring": 1, "workbook": 2},
        "changes": 4,
    }
    assert data["old"]["version"] == "2021.10" and data["new"]["version"] == "2022.04"
    assert data["changes"][0] == {
        "breaking": False,
        "category": "scoring",
        "kind": "band_changed",
        "message": 'KPI 1 "% of Successful Calls": the Green threshold is now 92 (was 90).',
        "new": "92",
        "old": "90",
        "path": "kpis.successful_calls.bands.green",
    }


# --- loading references ---------------------------------------------------------------------

_git_missing = shutil.which("git") is None


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=Test", "-c", "user.email=test@example.org",
         "-c", "commit.gpgsign=false", *args],
        cwd=repo, check=True, capture_output=True,
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    if _git_missing:
        pytest.skip("git is not installed")
    (tmp_path / "frameworks").mkdir()
    (tmp_path / "frameworks" / "surrey.yaml").write_text(TEXT, encoding="utf-8")
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", "frameworks/surrey.yaml")
    _git(tmp_path, "commit", "-q", "-m", "surrey")
    (tmp_path / "frameworks" / "surrey.yaml").write_text(_sub(TEXT, *GREEN_92), encoding="utf-8")
    return tmp_path


def test_load_ref_path_and_id(repo: Path) -> None:
    by_path = load_framework_ref("frameworks/surrey.yaml", cwd=repo)
    by_id = load_framework_ref("surrey", cwd=repo)
    assert by_path.kpis[0].bands == by_id.kpis[0].bands
    assert str(by_path.kpis[0].bands.green) == "92"  # type: ignore[union-attr]


def test_load_ref_at_revision(repo: Path) -> None:
    old = load_framework_ref("surrey@HEAD", cwd=repo)
    assert old.path == "frameworks/surrey.yaml@HEAD"
    old_by_path = load_framework_ref("frameworks/surrey.yaml@HEAD", cwd=repo)
    assert old_by_path.path == "frameworks/surrey.yaml@HEAD"
    old_relative = load_framework_ref("surrey.yaml@HEAD", cwd=repo / "frameworks")
    assert old_relative.path == "frameworks/surrey.yaml@HEAD"
    diff = diff_frameworks(old, load_framework_ref("surrey", cwd=repo))
    assert [c.kind for c in diff.changes] == ["band_changed"]


def test_load_ref_errors(repo: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    with pytest.raises(UsageError, match="not a revision"):
        load_framework_ref("surrey@no-such-branch", cwd=repo)
    with pytest.raises(UsageError, match="does not exist at revision"):
        load_framework_ref("kent@HEAD", cwd=repo)
    with pytest.raises(UsageError, match=r"frameworks/frameworks/surrey\.yaml does not exist"):
        load_framework_ref("frameworks/surrey.yaml@HEAD", cwd=repo / "frameworks")
    with pytest.raises(UsageError, match="ID_OR_PATH@REVISION"):
        load_framework_ref("@HEAD", cwd=repo)
    with pytest.raises(UsageError, match="not a git revision"):
        load_framework_ref("surrey@--output=x", cwd=repo)
    with pytest.raises(UsageError, match="outside the git repository"):
        load_framework_ref("../elsewhere.yaml@HEAD", cwd=repo)
    with pytest.raises(UsageError, match="not a file"):
        load_framework_ref("frameworks/kent.yaml", cwd=repo)
    elsewhere = tmp_path_factory.mktemp("not_a_repo")
    with pytest.raises(UsageError, match="not inside a git repository"):
        load_framework_ref("surrey@HEAD", cwd=elsewhere)


def test_load_ref_bad_yaml_at_revision_names_the_revision(repo: Path) -> None:
    (repo / "frameworks" / "surrey.yaml").write_text("id: [unclosed\n", encoding="utf-8")
    _git(repo, "commit", "-q", "-am", "broken")
    with pytest.raises(FrameworkError) as info:
        load_framework_ref("surrey@HEAD", cwd=repo)
    assert info.value.problems[0].file == "frameworks/surrey.yaml@HEAD"


# --- the command ----------------------------------------------------------------------------


def test_cli_diff_in_every_format(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from carekpi.cli import app

    monkeypatch.chdir(repo)
    expected = diff_frameworks(load_framework_ref("surrey@HEAD", cwd=repo), load_framework_ref("surrey", cwd=repo))
    for fmt, render in (("text", render_text), ("markdown", render_markdown), ("json", render_json)):
        result = CliRunner().invoke(app, ["diff", "surrey@HEAD", "frameworks/surrey.yaml", "--format", fmt],
                                    catch_exceptions=False)
        assert result.exit_code == 0, result.stderr
        assert result.stdout == render(expected)
    out = CliRunner().invoke(app, ["diff", "surrey@HEAD", "surrey", "-o", "changes.md", "--format", "markdown"])
    assert out.exit_code == 0
    assert (repo / "changes.md").read_text(encoding="utf-8") == render_markdown(expected)
    bad = CliRunner().invoke(app, ["diff", "surrey@no-such-branch", "surrey"])
    assert bad.exit_code == 2 and "not a revision" in bad.stderr

"""Checks shared by the tests of a framework's committed sample returns (samples.yaml).

An entry's ``expect`` says whether the return is valid, which findings it shows (an invalid
sample's expected findings are its only errors) and the bands of some KPIs. Bands are judged
with every top-level sample scored together, as ``carekpi score --framework <id>`` does, so that
bands relative to peers see the whole market.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from carekpi.framework.discovery import bundled_dir
from carekpi.framework.model import Framework
from carekpi.scoring.inputs import load_commissioner_data
from carekpi.scoring.passes import score_reports
from carekpi.scoring.results import ScoreReport
from carekpi.validation.findings import ValidationReport
from carekpi.validation.validate import validate_file
from carekpi.workbook.samples import write_samples
from conftest import TODAY


@dataclass
class Samples:
    folder: Path
    spec: dict[str, Any]

    @classmethod
    def of(cls, framework_id: str) -> Samples:
        folder = bundled_dir("sample_returns") / framework_id
        return cls(folder, yaml.safe_load((folder / "samples.yaml").read_text(encoding="utf-8")))

    @property
    def entries(self) -> list[dict[str, Any]]:
        return list(self.spec["returns"])

    @property
    def top_level(self) -> list[dict[str, Any]]:
        return [e for e in self.entries if "/" not in e["file"]]

    def validate(self, entry: dict[str, Any]) -> ValidationReport:
        return validate_file(self.folder / entry["file"], today=TODAY)

    def score_top_level(self, fw: Framework) -> ScoreReport:
        council = self.folder / self.spec.get("commissioner_data", "commissioner-data.csv")
        return score_reports(fw, [self.validate(e) for e in self.top_level],
                             commissioner=load_commissioner_data(council, fw) if council.exists() else None)

    def committed_workbooks(self) -> list[str]:
        return sorted(str(p.relative_to(self.folder)) for p in self.folder.rglob("*.xlsx"))


def check_findings(report: ValidationReport, entry: dict[str, Any]) -> None:
    expect = entry.get("expect") or {"valid": True}
    found = [f.to_dict() for f in report.findings]
    assert report.valid is expect["valid"], found
    for want in expect.get("findings") or []:
        assert any(all(f.get(k) == v for k, v in want.items()) for f in found), (want, found)
    errors = {(f["code"], f["field"]) for f in found if f["severity"] == "error"}
    if expect["valid"]:
        assert not errors
        if "/" not in entry["file"]:  # a top-level sample is clean: only the "due by" note
            assert [(f["code"], f["severity"]) for f in found] == [("V306", "info")]
    else:  # an invalid sample shows its one kind of finding, and that is the only error
        assert errors == {(w["code"], w.get("field")) for w in expect["findings"]}


def check_bands(scored: ScoreReport, samples: Samples) -> None:
    for entry in samples.top_level:
        want = (entry.get("expect") or {}).get("bands") or {}
        result = next(r for r in scored.returns if Path(r.file).name == entry["file"])
        got = {k.kpi: k.band for k in result.kpis if k.kpi in want}
        assert got == want, entry["file"]


def check_regenerated(fw: Framework, samples: Samples, tmp_path: Path) -> None:
    """``carekpi sample`` rebuilds exactly the committed files (they are commit-ready)."""
    written = write_samples(fw, tmp_path)
    assert sorted(str(p.relative_to(tmp_path)) for p in written if p.suffix == ".xlsx") == samples.committed_workbooks()
    for path in written:
        rel = path.relative_to(tmp_path)
        assert path.read_bytes() == (samples.folder / rel).read_bytes(), f"{rel} differs from the committed sample"

"""Record every output carekpi gives for the bundled frameworks and sample returns, and compare
two recordings byte for byte.

A restructuring must not change what users see. Record before, record after, compare:

    python scripts/compare_outputs.py record /tmp/before
    ... change the code ...
    python scripts/compare_outputs.py record /tmp/after
    python scripts/compare_outputs.py compare /tmp/before /tmp/after

What is recorded, each as stdout, stderr and exit code (binary outputs as their bytes, with the
workbook's creation and modification times blanked, since openpyxl stamps the time of saving):

* ``validate`` of every sample return (valid, invalid and with warnings) in every format, and of
  each framework's returns in one batch;
* ``score`` of the bundled samples (the quick start) and of every sample folder with its council
  data, in every format;
* ``template`` for every return type of every framework, and ``template --check`` on it;
* ``frameworks``, ``frameworks show`` (text and JSON), ``lint`` (every format), ``schema``,
  ``diff`` between pairs of bundled frameworks (every format), ``sample`` for every framework.
"""

from __future__ import annotations

import hashlib
import io
import re
import shutil
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TODAY = "2026-12-01"
TMP = Path(".compare_tmp")


def _normalise_xlsx(data: bytes) -> bytes:
    """The workbook's parts, with the save time blanked (openpyxl writes the current time)."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        return data
    out = []
    for name in sorted(zf.namelist()):
        part = zf.read(name)
        if name == "docProps/core.xml":
            part = re.sub(rb"(<dcterms:(created|modified)[^>]*>)[^<]*", rb"\1", part)
        out.append(name.encode() + b"\n" + hashlib.sha256(part).hexdigest().encode() + b"\n")
    return b"".join(out)


def _runner():  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from carekpi.cli import app

    runner = CliRunner()

    def run(args: list[str]) -> bytes:
        result = runner.invoke(app, args, catch_exceptions=True)
        exc = "" if result.exception is None or isinstance(result.exception, SystemExit) else repr(result.exception)
        return (f"$ carekpi {' '.join(args)}\nexit {result.exit_code}{' ' + exc if exc else ''}\n--- stdout\n".encode()
                + result.stdout_bytes + b"\n--- stderr\n" + result.stderr_bytes)

    return run


def record(dest: Path) -> int:
    import os

    os.chdir(ROOT)
    run = _runner()
    if TMP.exists():
        shutil.rmtree(TMP)
    TMP.mkdir()
    dest.mkdir(parents=True, exist_ok=True)
    n = 0

    def save(name: str, data: bytes) -> None:
        nonlocal n
        (dest / (re.sub(r"[^A-Za-z0-9_.-]+", "_", name) + ".out")).write_bytes(data)
        n += 1

    def output_file(args: list[str], out: Path) -> bytes:
        if out.exists():
            out.unlink()
        text = run([*args, "-o", str(out)])
        body = out.read_bytes() if out.exists() else b"(no file)"
        return text + b"\n--- file\n" + (_normalise_xlsx(body) if out.suffix == ".xlsx" else body)

    frameworks = sorted(p.stem for p in (ROOT / "frameworks").glob("*.yaml"))
    validate_formats = ["text", "json", "csv", "github", "sarif"]
    score_formats = ["text", "json", "csv"]
    save("frameworks", run(["frameworks"]))
    for fmt in ["text", "json", "github", "sarif"]:
        save(f"lint-{fmt}", run(["lint", "frameworks/", "--format", fmt]))
    save("schema", run(["schema"]))
    for a, b in [("surrey", "bcp"), ("dorset", "cheshire-east-awc"), ("cheshire-east-dpss", "cheshire-east-awc"),
                 ("surrey", "surrey")]:
        for fmt in ["text", "markdown", "json"]:
            save(f"diff-{a}-{b}-{fmt}", run(["diff", a, b, "--format", fmt]))
    for fid in frameworks:
        from carekpi.cli import app  # noqa: F401  (the app is importable as before)

        for fmt in ["text", "json"]:
            save(f"show-{fid}-{fmt}", run(["frameworks", "show", fid, "--format", fmt]))
        import yaml

        doc = yaml.safe_load((ROOT / "frameworks" / f"{fid}.yaml").read_text(encoding="utf-8"))
        for rt in doc["returns"]:
            rid = rt["id"]
            out = TMP / f"{fid}-{rid}.xlsx"
            save(f"template-{fid}-{rid}", output_file(["template", "-f", fid, "-r", rid], out))
            save(f"template-check-{fid}-{rid}", run(["template", "--check", str(out)]))
        sample_dir = Path("sample_returns") / fid
        files = sorted(str(p) for p in sample_dir.rglob("*.xlsx"))
        for f in files:
            for fmt in validate_formats:
                save(f"validate-{f}-{fmt}", run(["validate", f, "--format", fmt, "--today", TODAY]))
        for fmt in ["text", "json", "csv"]:
            save(f"validate-batch-{fid}-{fmt}", run(["validate", *files, "--format", fmt, "--today", TODAY]))
        for fmt in score_formats:
            save(f"score-default-{fid}-{fmt}", run(["score", "--framework", fid, "--format", fmt, "--today", TODAY]))
        save(f"score-default-{fid}-xlsx", output_file(["score", "--framework", fid, "--format", "xlsx", "--today", TODAY],
                                                      TMP / f"score-{fid}.xlsx"))
        council = sample_dir / "commissioner-data.csv"
        extra = ["--commissioner-data", str(council)] if council.exists() else []
        for rid in [rt["id"] for rt in doc["returns"]]:
            for fmt in score_formats:
                save(f"score-all-{fid}-{rid}-{fmt}", run(["score", "--framework", fid, str(sample_dir), "--return", rid,
                                                          *extra, "--format", fmt, "--today", TODAY]))
        save(f"score-all-{fid}-xlsx", output_file(["score", "--framework", fid, str(sample_dir), *extra, "--format", "xlsx",
                                                   "--today", TODAY], TMP / f"score-all-{fid}.xlsx"))
        sample_out = TMP / f"samples-{fid}"
        text = run(["sample", "--framework", fid, "-o", str(sample_out)])
        listing = b"".join(p.relative_to(sample_out).as_posix().encode() + b" "
                           + hashlib.sha256(p.read_bytes()).hexdigest().encode() + b"\n"
                           for p in sorted(sample_out.rglob("*")) if p.is_file())
        save(f"sample-{fid}", text + b"\n--- files\n" + listing)
    shutil.rmtree(TMP)
    print(f"recorded {n} outputs in {dest}")
    return 0


def compare(a: Path, b: Path) -> int:
    names = sorted({p.name for p in a.glob("*.out")} | {p.name for p in b.glob("*.out")})
    differ = []
    for name in names:
        pa, pb = a / name, b / name
        if not pa.exists() or not pb.exists() or pa.read_bytes() != pb.read_bytes():
            differ.append(name)
    for name in differ:
        print(f"differs: {name}")
    print(f"{len(names)} outputs compared: {len(names) - len(differ)} identical, {len(differ)} different")
    return 1 if differ else 0


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "record":
        return record(Path(argv[1]).resolve())
    if len(argv) == 3 and argv[0] == "compare":
        return compare(Path(argv[1]), Path(argv[2]))
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""The pre-commit hooks and the example CI files: the hooks' entry points run, as pre-commit runs
them, in a temporary git repository of a council's frameworks, with a good and a bad change."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from carekpi.framework.schema import MODELINE
from mini_framework import mini_framework

ROOT = Path(__file__).resolve().parents[1]
HOOKS: list[dict[str, Any]] = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))

FRAMEWORK = mini_framework(modeline=MODELINE)

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def hook(hook_id: str) -> dict[str, Any]:
    return next(h for h in HOOKS if h["id"] == hook_id)


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid"}
    res = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True, env=env)
    return res.stdout


def carekpi(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "CAREKPI_FRAMEWORKS_DIR"}
    return subprocess.run([sys.executable, "-m", "carekpi", *args], cwd=repo, capture_output=True, text=True,
                          env=env, timeout=300)


def run_hook(repo: Path, hook_id: str) -> subprocess.CompletedProcess[str]:
    """Run a hook as pre-commit does: on the staged files its ``files`` pattern matches, the entry
    followed by its args and (unless pass_filenames is false) the file names; skipped (None) when
    no staged file matches."""
    h = hook(hook_id)
    staged = git(repo, "diff", "--cached", "--name-only", "--diff-filter=ACMR").split()
    matched = [f for f in staged if re.search(h.get("files", ""), f)]
    if not matched:
        return subprocess.CompletedProcess([], 0, "skipped", "")
    argv = shlex.split(h["entry"]) + list(h.get("args", []))
    if h.get("pass_filenames", True):
        argv += matched
    assert argv[0] == "carekpi"
    return carekpi(repo, *argv[1:])


@pytest.fixture(scope="module")
def committed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A council's framework repository with one framework and its committed template."""
    r = tmp_path_factory.mktemp("hooks") / "council-frameworks"
    (r / "frameworks").mkdir(parents=True)
    (r / "templates").mkdir()
    git(r, "init", "-q")
    (r / "frameworks" / "mini.yaml").write_text(FRAMEWORK, encoding="utf-8")
    made = carekpi(r, "--frameworks-dir", "frameworks", "template", "-f", "mini", "-o", "templates/mini-monthly.xlsx")
    assert made.returncode == 0, made.stderr
    git(r, "add", "-A")
    assert run_hook(r, "carekpi-lint").returncode == 0
    assert run_hook(r, "carekpi-template-check").returncode == 0
    git(r, "commit", "-q", "-m", "mini framework and template")
    return r


@pytest.fixture
def repo(committed: Path, tmp_path: Path) -> Path:
    """A fresh copy of the committed repository for one test."""
    return Path(shutil.copytree(committed, tmp_path / committed.name))


def edit_framework(repo: Path, old: str, new: str) -> None:
    path = repo / "frameworks" / "mini.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_the_hooks_file_describes_both_hooks() -> None:
    assert [h["id"] for h in HOOKS] == ["carekpi-lint", "carekpi-template-check"]
    for h in HOOKS:
        assert h["language"] == "python" and h["entry"].startswith("carekpi ") and h["name"] and h["files"]
    assert re.search(hook("carekpi-lint")["files"], "frameworks/versions/mini-1.yaml")
    assert re.search(hook("carekpi-template-check")["files"], "frameworks/mini.yaml")
    assert re.search(hook("carekpi-template-check")["files"], "templates/mini-monthly.xlsx")


def test_good_change_passes_both_hooks(repo: Path) -> None:
    edit_framework(repo, "label: Late calls", "label: Calls more than 15 minutes late")
    assert carekpi(repo, "--frameworks-dir", "frameworks", "template", "-f", "mini",
                   "-o", "templates/mini-monthly.xlsx").returncode == 0
    git(repo, "add", "-A")
    lint = run_hook(repo, "carekpi-lint")
    assert lint.returncode == 0, lint.stdout
    assert lint.stdout == "1 framework file checked: no problems.\n"
    check = run_hook(repo, "carekpi-template-check")
    assert check.returncode == 0, check.stdout + check.stderr
    assert "templates/mini-monthly.xlsx: matches the template" in check.stdout


def test_bad_framework_fails_lint_with_file_line_and_code(repo: Path) -> None:
    edit_framework(repo, "numerator: calls_total - calls_late", "numerator: calls_total - calls_lat")
    git(repo, "add", "-A")
    lint = run_hook(repo, "carekpi-lint")
    assert lint.returncode == 1
    line = FRAMEWORK.splitlines().index("    numerator: calls_total - calls_late") + 1
    assert lint.stdout.startswith(f"frameworks/mini.yaml:{line}: F005 ")


def test_framework_changed_without_regenerating_the_template_fails(repo: Path) -> None:
    edit_framework(repo, "label: Late calls", "label: Calls more than 15 minutes late")
    git(repo, "add", "-A")
    assert run_hook(repo, "carekpi-lint").returncode == 0
    check = run_hook(repo, "carekpi-template-check")
    assert check.returncode == 1
    assert "label_changed" in check.stdout and "Calls more than 15 minutes late" in check.stdout


def test_hand_edited_template_fails(repo: Path) -> None:
    import openpyxl

    path = repo / "templates" / "mini-monthly.xlsx"
    wb = openpyxl.load_workbook(path)
    wb["Calls"].protection.sheet = False
    wb.save(path)
    git(repo, "add", "-A")
    assert run_hook(repo, "carekpi-lint").stdout == "skipped"  # no framework file staged
    check = run_hook(repo, "carekpi-template-check")
    assert check.returncode == 1
    assert "protection_changed" in check.stdout


def test_diff_against_the_last_commit(repo: Path) -> None:
    edit_framework(repo, "green: 95", "green: 97")
    r = carekpi(repo, "diff", "mini@HEAD", "frameworks/mini.yaml", "--format", "markdown")
    assert r.returncode == 0, r.stderr
    assert "Green threshold" in r.stdout


# --- the example files ---------------------------------------------------------------------------


def test_example_pre_commit_config_uses_the_shipped_hooks() -> None:
    config = yaml.safe_load((ROOT / "examples" / "pre-commit-config.yaml").read_text(encoding="utf-8"))
    ids = [h["id"] for repo in config["repos"] for h in repo["hooks"]]
    assert ids == [h["id"] for h in HOOKS]


def test_example_workflow_runs_the_ci_commands() -> None:
    text = (ROOT / "examples" / "github-workflow.yml").read_text(encoding="utf-8")
    workflow = yaml.safe_load(text)
    steps = workflow["jobs"]["check"]["steps"]
    runs = "\n".join(s.get("run", "") for s in steps)
    for command in ("carekpi lint frameworks/ --format github", "carekpi lint frameworks/ --format sarif",
                    "carekpi schema -o schema/framework.schema.json",
                    "carekpi --frameworks-dir frameworks template --check templates/",
                    'carekpi diff "$f@$BASE" "$f" --format markdown'):
        assert command in runs, command
    assert any(s.get("uses", "").startswith("github/codeql-action/upload-sarif") for s in steps)
    # no ${{ }} expression is expanded inside a shell script (they go through env)
    assert not any("${{" in s.get("run", "") for s in steps)

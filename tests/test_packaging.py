"""Packaging checks: pyproject.toml, environment.yml, jupytext.toml and the data files agree."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

try:
    import tomllib  # Python 3.11+
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    try:
        import tomli as tomllib
    except ModuleNotFoundError:
        tomllib = None

needs_toml = pytest.mark.skipif(
    tomllib is None, reason="reading TOML needs Python 3.11's tomllib (or tomli on 3.10)"
)

ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = ROOT / "costlib" / "data"

# conda-forge name -> PyPI name, where they differ.
CONDA_TO_PYPI = {"matplotlib-base": "matplotlib"}
# Entries of environment.yml that are not dependencies of the project.
CONDA_ONLY = {"python", "pip"}

_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def split_requirement(req: str) -> tuple[str, str]:
    """'numpy >=1.24 ; marker' -> ('numpy', '>=1.24')."""
    req = req.split(";", 1)[0].split("#", 1)[0].strip()
    match = _NAME.match(req)
    assert match, f"cannot read a package name from {req!r}"
    spec = req[match.end() :].strip()
    spec = re.sub(r"^\[[^\]]*\]", "", spec).replace(" ", "")  # drop extras, spaces
    return normalise(match.group(1)), spec


def conda_dependencies(text: str) -> list[str]:
    """The top-level entries of `dependencies:` in a simple environment.yml.

    Line-based on purpose (no YAML library needed): it reads `- name spec` items at the first
    indentation seen under `dependencies:` and skips nested lists such as the `- pip:` block.
    """
    deps: list[str] = []
    in_deps = False
    indent = None
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].rstrip()
        if not line.strip():
            continue
        level = len(line) - len(line.lstrip())
        if level == 0:
            in_deps = line.strip() == "dependencies:"
            continue
        if not in_deps:
            continue
        stripped = line.strip()
        if not stripped.startswith("- "):
            continue
        if indent is None:
            indent = level
        if level != indent:
            continue  # nested list (the pip: block)
        item = stripped[2:].strip().strip("'\"")
        if item.endswith(":"):
            continue  # "- pip:" opens the nested pip list
        deps.append(item)
    return deps


def pyproject() -> dict:
    with open(ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)


def pyproject_requirements() -> list[str]:
    project = pyproject()["project"]
    extras = project.get("optional-dependencies", {})
    return (
        list(project.get("dependencies", []))
        + list(extras.get("notebooks", []))
        + list(extras.get("test", []))
        + list(extras.get("book", []))
    )


def conda_pip_dependencies(text: str) -> list[str]:
    """The entries of the nested `- pip:` list of environment.yml, except `-e .` (the project)."""
    block = re.search(r"^(\s*)- pip:\s*\n((?:\1\s+.*\n?|\s*\n)*)", text, re.MULTILINE)
    if not block:
        return []
    items = [ln.split("#", 1)[0].strip() for ln in block.group(2).splitlines()]
    return [i[2:].strip() for i in items if i.startswith("- ") and not i[2:].strip().startswith("-e")]


def conda_requirements() -> dict[str, str]:
    out = {}
    text = (ROOT / "environment.yml").read_text()
    for item in conda_dependencies(text) + conda_pip_dependencies(text):
        name, spec = split_requirement(item)
        if name in CONDA_ONLY:
            continue
        out[CONDA_TO_PYPI.get(name, name)] = spec
    return out


def test_conda_parser_reads_top_level_entries_only():
    text = (
        "name: x\nchannels:\n  - conda-forge\ndependencies:\n  - python>=3.10\n"
        "  - numpy>=1.24  # comment\n  - pip\n  - pip:\n      - -e .\n"
    )
    assert conda_dependencies(text) == ["python>=3.10", "numpy>=1.24", "pip"]
    text += "      - somepkg>=2.0  # from PyPI\n"
    assert conda_pip_dependencies(text) == ["somepkg>=2.0"]


@needs_toml
def test_environment_yml_lists_the_same_packages_as_pyproject():
    pip_names = {split_requirement(r)[0] for r in pyproject_requirements()}
    conda_names = set(conda_requirements())
    assert pip_names, "pyproject.toml lists no dependencies"
    assert conda_names == pip_names, (
        f"only in pyproject.toml: {sorted(pip_names - conda_names)}; "
        f"only in environment.yml: {sorted(conda_names - pip_names)}"
    )


@needs_toml
def test_environment_yml_uses_the_same_lower_bounds_as_pyproject():
    conda = conda_requirements()
    for req in pyproject_requirements():
        name, spec = split_requirement(req)
        if name in conda:
            assert conda[name] == spec, (
                f"{name}: pyproject.toml {spec!r}, environment.yml {conda[name]!r}"
            )


@needs_toml
def test_dependencies_have_lower_bounds_only():
    project = pyproject()["project"]
    assert project["requires-python"] == ">=3.10"
    for req in pyproject_requirements():
        _, spec = split_requirement(req)
        assert spec.startswith(">="), f"{req!r}: give a lower bound (>=)"
        # a release series may be left out (!=X.Y.*): later releases stay allowed, unlike a cap or a pin
        rest = re.sub(r",!=\d+\.\d+\.\*", "", spec)
        assert not re.search(r"==|<|~=|!=", rest), f"{req!r}: no pins or upper bounds"


def test_environment_yml_installs_the_project_and_python():
    text = (ROOT / "environment.yml").read_text()
    assert "conda-forge" in text
    names = [split_requirement(d)[0] for d in conda_dependencies(text)]
    assert "python" in names and "pip" in names
    assert re.search(r"^\s+- -e \.", text, re.MULTILINE), "environment.yml must pip install -e ."


@needs_toml
def test_package_data_includes_the_csv_files():
    config = pyproject()["tool"]["setuptools"]
    assert "data/*.csv" in config["package-data"]["costlib"]


@needs_toml
def test_package_data_covers_every_data_file():
    """The CSVs and the plot style (workbook.mplstyle) must ship in a wheel, not only in a checkout."""
    import fnmatch

    globs = pyproject()["tool"]["setuptools"]["package-data"]["costlib"]
    files = [f.name for f in DATA_DIR.iterdir() if f.is_file() and f.suffix not in (".py", ".pyc")]
    assert "workbook.mplstyle" in files
    missing = [f for f in files if not any(fnmatch.fnmatch(f"data/{f}", g) for g in globs)]
    assert not missing, f"not in [tool.setuptools.package-data]: {missing}"


@needs_toml
def test_jupytext_pairs_ipynb_with_py_percent():
    with open(ROOT / "jupytext.toml", "rb") as f:
        config = tomllib.load(f)
    formats = {f.strip() for f in config["formats"].split(",")}
    assert formats == {"ipynb", "py//py:percent"}  # twins in a py/ folder beside the notebooks
    assert "-jupytext.text_representation.jupytext_version" in config.get(
        "notebook_metadata_filter", ""
    )


def _csv_files() -> list[Path]:
    if not DATA_DIR.is_dir():
        pytest.skip(f"{DATA_DIR.relative_to(ROOT)} does not exist yet")
    files = sorted(DATA_DIR.glob("*.csv"))
    assert files, f"{DATA_DIR.relative_to(ROOT)} holds no CSV files"
    return files


def _read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows, f"{path.name} is empty"
    header = [c.strip() for c in rows[0]]
    records = []
    for i, row in enumerate(rows[1:], start=1):
        if not any(c.strip() for c in row):
            continue
        assert len(row) == len(header), f"{path.name} data row {i}: {len(row)} fields"
        records.append(dict(zip(header, row, strict=True)))
    return header, records


def test_every_data_csv_has_source_and_as_of_columns():
    for path in _csv_files():
        columns, _ = _read_csv(path)
        missing = {"source", "as_of"} - set(columns)
        assert not missing, f"{path.name} lacks column(s) {sorted(missing)}"


def test_every_data_row_has_a_source_and_a_date():
    for path in _csv_files():
        columns, rows = _read_csv(path)
        if not {"source", "as_of"} <= set(columns):
            continue  # reported by the test above
        for i, row in enumerate(rows, start=1):
            for column in ("source", "as_of"):
                value = (row.get(column) or "").strip()
                assert value, f"{path.name} data row {i}: empty {column}"

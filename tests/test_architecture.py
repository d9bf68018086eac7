"""The layers of costlib (docs/architecture.md): what `import costlib` loads, the lazy public names,
and that the import contracts of pyproject.toml (run by `make lint`) name every layer.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import costlib

try:
    import tomllib  # Python 3.11+
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    tomllib = pytest.importorskip("tomli")

ROOT = Path(__file__).resolve().parents[1]
GUI = ("matplotlib", "ipywidgets", "anywidget", "IPython")


def loaded_after(*steps: str) -> list[set[str]]:
    """Modules in sys.modules after each of ``steps``, run one after the other in ONE fresh interpreter
    (an interpreter start is most of each check's cost)."""
    probe = ["import json as _json, sys as _sys", "_seen = []"]
    for step in steps:
        probe += [step, "_seen.append(sorted(_sys.modules))"]
    probe.append("print(_json.dumps(_seen))")
    out = subprocess.run([sys.executable, "-c", "\n".join(probe)], capture_output=True, text=True, check=True,
                         cwd=ROOT).stdout
    return [set(names) for names in json.loads(out.splitlines()[-1])]


def top(names: set[str], prefix: str) -> set[str]:
    return {n for n in names if n == prefix or n.startswith(prefix + ".")}


def test_the_public_names_load_their_layer_and_nothing_above_it():
    """In one interpreter, in this order (each step may only add modules, so each is checked on what
    it and the steps before it loaded): ``import costlib`` loads only the lazy-attribute helper; the
    engine's names (quote, validate and calibrate at the top of the engine) load no ui, teaching or
    GUI; the grading names then load no ui or GUI."""
    bare, engine, grading = loaded_after(
        "import costlib as cl",
        "cl.fit, cl.quote, cl.validate, cl.calibrate, cl.capacity_plan",
        "cl.check, cl.hint, cl.questions")
    # only the lazy-attribute helper of the bottom layer, nothing of the engine, teaching or ui
    assert top(bare, "costlib") == {"costlib", "costlib.common", "costlib.common.lazy"}
    for gui in GUI:
        assert not top(bare, gui), f"import costlib loaded {gui}"
    # everything below quote, validate and calibrate is loaded, nothing above them may be
    assert "costlib.economics.quote" in engine and "costlib.evidence.calibrate" in engine
    for forbidden in ("costlib.ui", "costlib.teaching", *GUI):
        assert not top(engine, forbidden), f"{forbidden} loaded by the engine"
    assert "costlib.teaching.grading" in grading
    for forbidden in ("costlib.ui", *GUI):
        assert not top(grading, forbidden), f"{forbidden} loaded by grading"


def test_the_calculator_app_loads_no_teaching_no_simulator_no_pandas_and_no_scipy():
    # the app's kernel (make room preheats 30 of them) imports only what the calculator needs:
    # pandas alone is about 44 MB per app kernel, the catalog lookups read the CSVs without it.
    # Checked after the import and again once built with both figures, so the tornado's ranges and
    # a quote's energy constants count too.
    imported, built = loaded_after(
        "import matplotlib\nmatplotlib.use('agg')\nimport costlib.ui.app",
        "from costlib.ui.app import TORNADO, calculator_app\ncalculator_app()\ncalculator_app(figure=TORNADO)")
    assert "costlib.economics.sensitivity" in built and "costlib.estimate.energy" in built
    for mods in (imported, built):
        for forbidden in ("costlib.teaching", "costlib.estimate.serving", "costlib.evidence", "pandas", "scipy"):
            assert not top(mods, forbidden), f"{forbidden} loaded by the calculator app"


def test_every_public_name_resolves_and_is_listed():
    assert len(costlib.__all__) > 100
    for name in costlib.__all__:
        getattr(costlib, name)
    assert set(costlib.__all__) <= set(dir(costlib))
    assert costlib.__version__


def test_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no_such_function"):
        costlib.no_such_function  # noqa: B018
    assert not hasattr(costlib, "plots")  # modules are imported from their layer, not re-exported


def _cl_names_used() -> set[str]:
    names = set()
    for folder in ("notebooks", "solutions", "app", "benchmarks"):
        for f in (ROOT / folder).glob("**/*.py"):  # notebooks/py/, solutions/py/: the twins
            names |= set(re.findall(r"\bcl\.([A-Za-z_]\w*)", f.read_text(encoding="utf-8")))
    return names


def test_every_cl_name_the_notebooks_use_exists():
    used = _cl_names_used()
    assert {"fit", "deployment", "check", "validate", "calibrate"} <= used
    missing = sorted(n for n in used if not hasattr(costlib, n))
    assert not missing, f"cl.<name> used in notebooks/solutions but not in costlib: {missing}"


def _contracts() -> list[dict]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return config["tool"]["importlinter"]["contracts"]


def test_layers_contract_names_every_subpackage():
    (layers,) = [c for c in _contracts() if c["type"] == "layers"]
    named = {m.strip() for layer in layers["layers"] for m in re.split(r"[|:]", layer)}
    packages = {p.parent.name for p in (ROOT / "costlib").glob("*/__init__.py")} - {"data"}
    assert named == packages, "every costlib subpackage (but data/) must be a layer of the contract"
    loose = {p.name for p in (ROOT / "costlib").glob("*.py")} - {"__init__.py", "__main__.py"}
    assert not loose, f"modules belong in a layer, not at the top of costlib/: {sorted(loose)}"
    assert layers["layers"][-1] == "common" and layers["layers"][0] == "ui"


def test_there_is_a_cycle_contract():
    cycles = [c for c in _contracts() if c["type"] == "acyclic_siblings"]
    assert cycles and "costlib" in cycles[0]["ancestors"]


def _private_uses(path: Path) -> list[str]:
    """``from costlib.x import _name`` and ``module._name`` where module is a costlib module."""
    import ast

    tree = ast.parse(path.read_text(encoding="utf-8"))
    modules, hits = set(), []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("costlib"):
            for a in node.names:
                if a.name.startswith("_") and not a.name.startswith("__"):
                    hits.append(f"{path.name}:{node.lineno}: from {node.module} import {a.name}")
                modules.add(a.asname or a.name)
        elif isinstance(node, ast.Import):
            modules |= {a.asname or a.name for a in node.names if a.name.startswith("costlib")}
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in modules
                and node.attr.startswith("_") and not node.attr.startswith("__")):
            hits.append(f"{path.name}:{node.lineno}: {node.value.id}.{node.attr}")
    return hits


def test_no_module_uses_another_modules_private_names():
    hits = [h for f in sorted((ROOT / "costlib").rglob("*.py")) for h in _private_uses(f)]
    assert not hits, hits


def test_the_private_name_check_can_fail(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("from costlib.ui import plots\nfrom costlib.catalog.tables import _gpus\nplots._x\n")
    assert len(_private_uses(bad)) == 2


def test_no_module_is_over_600_lines():
    sizes = {str(f.relative_to(ROOT)): len(f.read_text(encoding="utf-8").splitlines())
             for f in (ROOT / "costlib").rglob("*.py")}
    over = {f: n for f, n in sizes.items() if n > 600}
    assert not over, over

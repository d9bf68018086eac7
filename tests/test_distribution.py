"""How the workbook is started and shipped: tools/serve.py, the Makefile targets, Binder files, CI, README.

What can be checked without conda or Binder: the command lines `make lab`/`make app` run, that
postBuild is a valid strict shell script installing the project, that environment.yml parses, and
that the README's Binder link and screenshots point at files that exist.
"""
from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _serve():
    spec = importlib.util.spec_from_file_location("serve_under_test", ROOT / "tools" / "serve.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


serve = _serve()


def _opt(argv, name):
    hits = [a.split("=", 1)[1] for a in argv if a.startswith(name + "=")]
    return hits[-1] if hits else None


def test_lab_command_is_local_token_protected_and_opens_the_start_notebook():
    argv = serve.lab_argv(ROOT, port=8899, token="t0k", open_browser=False)
    assert argv[1] == "lab" and Path(argv[0]).name == "jupyter"
    assert _opt(argv, "--ip") == "127.0.0.1"
    assert _opt(argv, "--IdentityProvider.token") == "t0k" and _opt(argv, "--port") == "8899"
    assert _opt(argv, "--LabApp.news_url") == "None"  # no request to jupyterlab.github.io
    start = _opt(argv, "--LabApp.default_url")
    assert start == "/lab/tree/notebooks/00_start_here.ipynb"
    assert (ROOT / start.removeprefix("/lab/tree/")).is_file()
    assert "--no-browser" in argv
    default = serve.lab_argv(ROOT)
    assert not any(a.startswith(("--IdentityProvider.token", "--ServerApp.token")) for a in default), \
        "without --token jupyter must choose a random token (an empty one would disable it)"
    assert ("--allow-root" in default) == (os.geteuid() == 0)


def test_app_command_serves_the_calculator_with_code_hidden():
    argv = serve.app_argv(ROOT, open_browser=False)
    assert Path(argv[0]).name == "voila" and Path(argv[1]) == ROOT / "app" / "calculator.ipynb"
    assert Path(argv[1]).is_file()
    assert _opt(argv, "--Voila.ip") == "127.0.0.1"
    assert _opt(argv, "--strip_sources") == "True" and _opt(argv, "--show_tracebacks") == "False"
    assert "--token" in argv  # bare: Voilà generates a random token
    assert _opt(serve.app_argv(ROOT, token="abc"), "--token") == "abc"


def test_app_shuts_closed_pages_kernels_down_culls_the_rest_and_stays_offline():
    argv = serve.app_argv(ROOT, open_browser=False)
    assert _opt(argv, "--template") == "offline"
    template = serve.APP_SERVER_DIR / "voila" / "templates" / "offline"
    assert json.loads((template / "conf.json").read_text())["base_template"] == "lab"
    assert "extends 'lab/index.html.j2'" in (template / "index.html.j2").read_text()
    provider = _opt(argv, "--Voila.identity_provider_class")
    assert (serve.APP_SERVER_DIR / (provider.split(".")[0] + ".py")).is_file()
    assert float(_opt(argv, "--MappingKernelManager.cull_idle_timeout")) == serve.CULL_IDLE_S
    assert float(_opt(argv, "--MappingKernelManager.cull_interval")) == serve.CULL_INTERVAL_S
    assert 0 < serve.CULL_INTERVAL_S <= serve.CULL_IDLE_S
    assert _opt(argv, "--preheat_kernel") is None, "make app starts a kernel per visitor, no pool"
    env = serve.app_env({"PYTHONPATH": "/elsewhere"})
    assert env["PYTHONPATH"].split(os.pathsep) == [str(serve.APP_SERVER_DIR), "/elsewhere"]
    assert env["JUPYTER_PATH"] == str(serve.APP_SERVER_DIR)


def test_room_listens_on_the_network_with_a_token_and_a_warm_pool(capsys):
    argv = serve.command("room", ROOT, token="abc", open_browser=False, ip="10.1.2.3", pool=12)
    assert _opt(argv, "--Voila.ip") == "10.1.2.3" and _opt(argv, "--token") == "abc"
    assert _opt(argv, "--preheat_kernel") == "True" and _opt(argv, "--pool_size") == "12"
    assert _opt(argv, "--MappingKernelManager.cull_idle_timeout") is not None
    assert _opt(serve.command("room", ROOT, open_browser=False), "--pool_size") == str(serve.ROOM_POOL) == "30"
    assert _opt(serve.command("app", ROOT, open_browser=False), "--Voila.ip") == "127.0.0.1"
    with pytest.raises(ValueError, match="pool must be >= 0 kernels, got -1"):
        serve.app_argv(ROOT, pool=-1)
    # the default room token is random and given to Voilà explicitly, so the printed URL works
    assert serve.main(["room", "--dry-run", "--ip", "10.1.2.3", "--no-browser"]) == 0
    token = _opt(capsys.readouterr().out.split(), "--token")
    assert token and len(token) >= 12
    banner = serve.room_banner(serve.room_url("10.1.2.3", 8866, "tok"), pool=30)
    assert "http://10.1.2.3:8866/?token=tok" in banner
    assert "FROM THE NETWORK" in banner and "Ctrl+C" in banner and "30 kernels" in banner
    assert "\u2588" in banner or "\u2580" in banner or "pip install segno" in banner  # a QR code, or how to get one


def test_makefile_room_and_app_room_1_run_room_mode_and_app_stays_local():
    assert "$(SERVE) room --pool $(POOL)" in _recipe("room")
    assert re.search(r"^POOL \?= 30$", (ROOT / "Makefile").read_text(), re.MULTILINE)


def test_isolated_env_keeps_jupyter_state_in_one_folder(tmp_path):
    env = serve.isolated_env(tmp_path, base={"MPLBACKEND": "Agg", "PATH": "/bin"})
    for key in ("JUPYTER_CONFIG_DIR", "JUPYTER_RUNTIME_DIR", "JUPYTERLAB_SETTINGS_DIR",
                "JUPYTERLAB_WORKSPACES_DIR"):
        assert Path(env[key]).is_dir() and Path(env[key]).is_relative_to(tmp_path)
    assert "MPLBACKEND" not in env and env["PATH"] == "/bin"
    assert not any(Path(env["JUPYTERLAB_SETTINGS_DIR"]).iterdir()), \
        "the tests rely on the project's overrides.json, as make lab does, not on their own settings"


def test_lab_ships_settings_that_switch_off_the_news_question():
    argv = serve.lab_argv(ROOT)
    settings_dir = Path(_opt(argv, "--LabApp.app_settings_dir"))
    overrides = json.loads((settings_dir / "overrides.json").read_text())
    notes = overrides["@jupyterlab/apputils-extension:notification"]
    assert notes == {"fetchNews": "false", "checkForUpdates": False}


def test_lab_switches_off_the_extension_that_prints_deprecation_warnings():
    argv = serve.lab_argv(ROOT)
    assert "--ServerApp.jpserver_extensions=voila.server_extension=False" in argv


def test_lab_lists_the_notebooks_without_the_start_notebooks_helper():
    from traitlets.config import KVArgParseConfigLoader

    argv = serve.lab_argv(ROOT)
    cfg = KVArgParseConfigLoader([a for a in argv if a.startswith("--ContentsManager.")]).load_config()
    hidden = list(cfg.ContentsManager.hide_globs)
    # jupyter_server's defaults are kept, and the helper module joins them
    assert hidden[:5] == ["__pycache__", "*.pyc", "*.pyo", ".DS_Store", "*~"] and "_guide.py" in hidden
    assert (ROOT / "notebooks" / "_guide.py").is_file()


def test_serve_dry_run_prints_the_command(capsys):
    assert serve.main(["app", "--dry-run", "--port", "9000", "--no-browser"]) == 0
    out = capsys.readouterr().out
    assert "voila" in out and "--port=9000" in out and "app/calculator.ipynb" in out


def _recipe(target: str) -> str:
    text = (ROOT / "Makefile").read_text()
    m = re.search(rf"^{re.escape(target)}:.*\n((?:\t.*\n)+)", text, re.MULTILINE)
    assert m, f"Makefile has no {target} target"
    return m.group(1)


def test_makefile_lab_and_app_use_the_same_script_as_the_browser_tests():
    assert "$(SERVE) lab" in _recipe("lab") and "$(SERVE) $(if $(ROOM),room --pool $(POOL),app)" in _recipe("app")
    assert re.search(r"^SERVE := \$\(PY\) tools/serve.py$", (ROOT / "Makefile").read_text(), re.MULTILINE)
    kit = (ROOT / "tests" / "browser" / "browserkit.py").read_text()
    assert 'ROOT / "tools" / "serve.py"' in kit
    shots = _recipe("screenshots")
    assert "COSTLIB_SCREENSHOTS_DIR" in shots and "COSTLIB_REQUIRE_BROWSER=1" in shots and "tests/browser" in shots


def test_nbval_gives_kernels_a_startup_timeout_that_survives_a_busy_machine():
    # nbval's own default is 60 s, and one busy run took longer to start a kernel than that
    text = (ROOT / "Makefile").read_text()
    m = re.search(r"^NBVAL_KERNEL_STARTUP \?= (\d+)$", text, re.MULTILINE)
    assert m and int(m.group(1)) >= 180
    nbval = re.search(r"^NBVAL  := (.*)$", text.replace("\\\n", " "), re.MULTILINE).group(1)
    assert "--nbval-kernel-startup-timeout=$(NBVAL_KERNEL_STARTUP)" in nbval


def test_ci_installs_chromium_when_missing():
    text = (ROOT / ".ci" / "run").read_text()
    assert "/usr/bin/chromium" in text and "apt-get install -y chromium" in text
    assert "apt-get update" in text and "make test" in text


def test_postbuild_is_a_strict_shell_script_that_installs_the_project():
    path = ROOT / "postBuild"
    text = path.read_text()
    assert os.access(path, os.X_OK), "Binder runs postBuild only if it is executable"
    assert text.startswith("#!/bin/bash") and "set -euo pipefail" in text
    assert re.search(r"pip install --no-deps -e \.", text)
    assert "jupyterlab_widgets" in text and "jupyterlab-manager" in text
    subprocess.run(["bash", "-n", str(path)], check=True)
    assert not (ROOT / "binder").exists(), "a binder/ folder makes Binder ignore the root files"


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck is not installed")
def test_shell_scripts_pass_shellcheck():
    subprocess.run(["shellcheck", str(ROOT / "postBuild"), str(ROOT / ".ci" / "run")], check=True)


def test_environment_yml_parses_and_keeps_widgets_beside_jupyterlab():
    yaml = pytest.importorskip("yaml")
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert env["channels"] == ["conda-forge"]
    names = {re.split(r"[<>=\s]", d, maxsplit=1)[0] for d in env["dependencies"] if isinstance(d, str)}
    assert {"jupyterlab", "ipywidgets", "jupyterlab_widgets", "voila", "python", "pip"} <= names
    pip = [d for d in env["dependencies"] if isinstance(d, dict)]
    assert pip and "-e ." in pip[0]["pip"]


def test_readme_binder_link_and_screenshots_point_at_real_files():
    text = (ROOT / "README.md").read_text()
    links = re.findall(r"https://mybinder\.org/v2/gh/[^)\s]+", text)
    assert links, "README has no Binder link"
    for url in links:
        m = re.search(r"urlpath=lab/tree/([^&\s)]+)", url)
        assert m and (ROOT / m.group(1)).is_file(), url
    assert "urlpath=voila/render/app/calculator.ipynb" in text and (ROOT / "app" / "calculator.ipynb").is_file()
    images = re.findall(r"!\[[^\]]+\]\((docs/img/[^)]+\.png)\)", text)
    assert len(images) >= 2
    for img in images:
        data = (ROOT / img).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000, f"{img} is not a real screenshot"
    for target in ("make lab", "make test", "make app", "make screenshots"):
        assert target in text


def test_readme_is_a_five_minute_read_and_links_the_details():
    text = (ROOT / "README.md").read_text()
    assert len(text.splitlines()) <= 200, "keep the README short; details go to docs/"
    for doc in ("docs/benchmarks.md", "workshop/README.md"):
        assert f"]({doc})" in text and (ROOT / doc).is_file(), doc


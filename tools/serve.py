"""Start JupyterLab (the workbook) or Voilà (the calculator app) on this machine only.

Usage: python tools/serve.py lab|app [--root DIR] [--port N] [--token T] [--no-browser]
                                     [--isolate DIR] [--dry-run] [-- extra jupyter/voila arguments]

``make lab`` and ``make app`` run this script, and so do the browser tests (tests/browser/), so the
command line the tests check is the one a reader gets. Both servers listen on 127.0.0.1 only and
ask for a token (jupyter's own random one unless ``--token`` is given); JupyterLab's news and
update checks are switched off (they would reach the network, and the question "would you like to
receive official Jupyter news?" pops up over the first notebook): ``tools/jupyterlab-settings/``
holds the workbook's default settings (JupyterLab's ``overrides.json``, passed as
``--LabApp.app_settings_dir``; a reader's own settings still win). ``--isolate DIR`` keeps every
Jupyter config, runtime, settings and workspace file inside DIR (the tests use it; ``make lab``
does not, so a reader's own JupyterLab settings apply).
"""
from __future__ import annotations

import argparse
import os
import shutil
import socket
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
START_NOTEBOOK = "notebooks/00_start_here.ipynb"
APP_NOTEBOOK = "app/calculator.ipynb"
HOST = "127.0.0.1"

# The workbook's JupyterLab defaults (overrides.json): no news question, no update check.
LAB_SETTINGS_DIR = ROOT / "tools" / "jupyterlab-settings"
# Server extensions `make lab` switches off. Voilà's (voila/render inside JupyterLab; `make app`
# runs Voilà on its own) turns traitlets' DeprecationWarnings on for the whole server when it is
# imported, so every start printed "ServerApp.token config is deprecated" although nothing sets it.
LAB_DISABLED_EXTENSIONS = ("voila.server_extension",)


def free_port() -> int:
    """A TCP port nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _bin(name: str) -> str:
    """The executable next to this Python (the project's .venv), else the one on PATH."""
    here = Path(sys.executable).parent / name
    return str(here) if here.exists() else (shutil.which(name) or name)


def _root_flags() -> list[str]:
    # Jupyter refuses to start as root unless told so (CI containers run as root).
    return ["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []


def lab_argv(root=ROOT, port: int | None = None, token: str | None = None, open_browser: bool = True,
             start: str | None = START_NOTEBOOK, extra=()) -> list[str]:
    """The JupyterLab command line of ``make lab``: localhost, a token, no news, the start notebook."""
    root = Path(root).resolve()
    argv = [_bin("jupyter"), "lab", f"--ip={HOST}", f"--ServerApp.root_dir={root}",
            "--LabApp.news_url=None",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            f"--LabApp.app_settings_dir={LAB_SETTINGS_DIR}",
            *(f"--ServerApp.jpserver_extensions={ext}=False" for ext in LAB_DISABLED_EXTENSIONS),
            *_root_flags()]
    if start and (root / start).exists():
        argv.append(f"--LabApp.default_url=/lab/tree/{start}")
    if port:
        argv.append(f"--port={port}")
    if token is not None:
        argv.append(f"--IdentityProvider.token={token}")
    if not open_browser:
        argv.append("--no-browser")
    return argv + list(extra)


def app_argv(root=ROOT, port: int | None = None, token: str | None = None, open_browser: bool = True,
             notebook: str = APP_NOTEBOOK, extra=()) -> list[str]:
    """The Voilà command line of ``make app``: the calculator notebook, code hidden, localhost, a token."""
    root = Path(root).resolve()
    argv = [_bin("voila"), str(root / notebook), f"--Voila.ip={HOST}", "--strip_sources=True",
            "--show_tracebacks=False"]  # Voilà has no --allow-root and needs none
    argv.append(f"--port={port}" if port else "--port=8866")
    argv.append(f"--token={token}" if token is not None else "--token")  # bare --token: a random one
    if not open_browser:
        argv.append("--no-browser")
    return argv + list(extra)


def isolated_env(directory, base=None) -> dict:
    """Environment that keeps Jupyter's config, runtime, settings and workspaces inside ``directory``."""
    d = Path(directory)
    env = dict(os.environ if base is None else base)
    dirs = {"JUPYTER_CONFIG_DIR": d / "config", "JUPYTER_RUNTIME_DIR": d / "runtime",
            "JUPYTERLAB_SETTINGS_DIR": d / "settings", "JUPYTERLAB_WORKSPACES_DIR": d / "workspaces",
            "IPYTHONDIR": d / "ipython"}
    for key, path in dirs.items():
        path.mkdir(parents=True, exist_ok=True)
        env[key] = str(path)
    env.pop("MPLBACKEND", None)  # the kernels must show figures inline
    return env



def command(what: str, root=ROOT, port=None, token=None, open_browser=True, extra=(), start=None) -> list[str]:
    if what == "lab":
        return lab_argv(root, port, token, open_browser, start=start or START_NOTEBOOK, extra=extra)
    if what == "app":
        return app_argv(root, port, token, open_browser, notebook=start or APP_NOTEBOOK, extra=extra)
    raise ValueError(f"what must be 'lab' or 'app', got {what!r}")


def main(argv=None) -> int:
    args_in = list(sys.argv[1:] if argv is None else argv)
    extra: list[str] = []
    if "--" in args_in:
        i = args_in.index("--")
        args_in, extra = args_in[:i], args_in[i + 1:]
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("what", choices=["lab", "app"])
    ap.add_argument("--root", default=str(ROOT), help="folder served (default: the repository)")
    ap.add_argument("--port", type=int, default=None)
    ap.add_argument("--token", default=None, help="default: a random token chosen by jupyter/voila")
    ap.add_argument("--no-browser", action="store_true")
    ap.add_argument("--start", default=None, metavar="PATH",
                    help=f"lab: notebook opened first (default {START_NOTEBOOK}); app: the notebook served "
                         f"(default {APP_NOTEBOOK})")
    ap.add_argument("--isolate", default=None, metavar="DIR",
                    help="keep Jupyter config/runtime/settings/workspaces in DIR")
    ap.add_argument("--dry-run", action="store_true", help="print the command and exit")
    a = ap.parse_args(args_in)
    argv_out = command(a.what, a.root, a.port, a.token, not a.no_browser, extra, a.start)
    env = isolated_env(a.isolate) if a.isolate else dict(os.environ)
    if a.dry_run:
        print(" ".join(argv_out))
        return 0
    print("==> " + " ".join(argv_out), flush=True)
    os.execvpe(argv_out[0], argv_out, env)
    return 0  # pragma: no cover - execvpe does not return


if __name__ == "__main__":
    sys.exit(main())

"""Start JupyterLab (the workbook) or Voilà (the calculator app), on this machine or for a room.

Usage: python tools/serve.py lab|app|room [--root DIR] [--port N] [--token T] [--no-browser]
                                          [--ip ADDR] [--pool N] [--isolate DIR] [--dry-run]
                                          [-- extra jupyter/voila arguments]

``make lab``, ``make app`` and ``make room`` run this script, and so do the browser tests
(tests/browser/) and benchmarks/bench_room.py, so the command line they check is the one a reader
gets. ``lab`` and ``app`` listen on 127.0.0.1 only and ask for a token (jupyter's own random one
unless ``--token`` is given); JupyterLab's news and update checks are switched off (they would
reach the network). ``room`` serves the app to a workshop room: it listens on this laptop's network
address (``--ip``), with a token, keeps a pool of ``--pool`` kernels started ahead of the visitors,
prints the URL (and a QR code) to give the room, and warns that the page is reachable from the
network. Both Voilà modes shut a closed page's kernel down (the page's shutdown request carries its
``_xsrf`` token, see app/server/page_xsrf.py) and cull kernels that no page uses any more; their
page makes no request to another host (app/server/voila/templates/offline). JupyterLab's defaults
live in ``tools/jupyterlab-settings/`` (JupyterLab's ``overrides.json``, passed as
``--LabApp.app_settings_dir``; a reader's own settings still win): no news question pops up over the
first notebook. ``--isolate DIR`` keeps every Jupyter config, runtime, settings and workspace file
inside DIR (the tests use it; ``make lab`` does not, so a reader's own JupyterLab settings apply).
"""
from __future__ import annotations

import argparse
import os
import secrets
import shutil
import socket
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
START_NOTEBOOK = "notebooks/00_start_here.ipynb"
APP_NOTEBOOK = "app/calculator.ipynb"
HOST = "127.0.0.1"
APP_PORT = 8866
# Server-side pieces of the Voilà page, taken from this repository (not from the folder served):
# page_xsrf.py (importable through PYTHONPATH) and the "offline" template (found through JUPYTER_PATH).
APP_SERVER_DIR = ROOT / "app" / "server"
APP_TEMPLATE = "offline"
# A kernel no page is connected to and that ran nothing for CULL_IDLE_S seconds is shut down; the
# check runs every CULL_INTERVAL_S seconds. An open page keeps its websocket connected, so its
# kernel is never culled (Jupyter's cull_connected stays False); pooled kernels are never culled.
CULL_IDLE_S = 600
CULL_INTERVAL_S = 60
ROOM_POOL = 30  # kernels started ahead of the visitors in room mode: one per learner of a room

# The workbook's JupyterLab defaults (overrides.json): no news question, no update check.
LAB_SETTINGS_DIR = ROOT / "tools" / "jupyterlab-settings"
# Server extensions `make lab` switches off. Voilà's (voila/render inside JupyterLab; `make app`
# runs Voilà on its own) turns traitlets' DeprecationWarnings on for the whole server when it is
# imported, so every start printed "ServerApp.token config is deprecated" although nothing sets it.
LAB_DISABLED_EXTENSIONS = ("voila.server_extension",)
# What the file browser does not list: jupyter_server's own defaults, and the start notebook's helper
# module (notebooks/_guide.py), which the notebook imports but a learner has no reason to open.
LAB_HIDDEN_FILES = ("__pycache__", "*.pyc", "*.pyo", ".DS_Store", "*~", "_guide.py")


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
            *(f"--ContentsManager.hide_globs={glob}" for glob in LAB_HIDDEN_FILES),
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
             notebook: str = APP_NOTEBOOK, extra=(), ip: str = HOST, pool: int = 0) -> list[str]:
    """The Voilà command line of ``make app`` (and, with a pool, of ``make room``): the calculator
    notebook, code hidden, a token, the offline template, closed pages' kernels shut down and culled."""
    root = Path(root).resolve()
    argv = [_bin("voila"), str(root / notebook), f"--Voila.ip={ip}", "--strip_sources=True",
            "--show_tracebacks=False",  # Voilà has no --allow-root and needs none
            f"--template={APP_TEMPLATE}",
            "--Voila.identity_provider_class=page_xsrf.PageXsrfIdentityProvider",
            f"--MappingKernelManager.cull_idle_timeout={CULL_IDLE_S}",
            f"--MappingKernelManager.cull_interval={CULL_INTERVAL_S}"]
    if pool < 0:
        raise ValueError(f"pool must be >= 0 kernels, got {pool!r}")
    if pool:
        argv += ["--preheat_kernel=True", f"--pool_size={pool}"]
    argv.append(f"--port={port or APP_PORT}")
    argv.append(f"--token={token}" if token is not None else "--token")  # bare --token: a random one
    if not open_browser:
        argv.append("--no-browser")
    return argv + list(extra)


def app_env(base=None) -> dict:
    """The environment Voilà needs for app_argv: app/server on PYTHONPATH and JUPYTER_PATH."""
    env = dict(os.environ if base is None else base)
    for key in ("PYTHONPATH", "JUPYTER_PATH"):
        env[key] = os.pathsep.join(p for p in (str(APP_SERVER_DIR), env.get(key, "")) if p)
    return env


def network_address() -> str:
    """This machine's address on its network (the one a default route leaves from), else 127.0.0.1.

    Connecting a UDP socket only picks the route: no packet is sent.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))  # TEST-NET-1 (RFC 5737): never a real host
            return s.getsockname()[0]
        except OSError:
            return HOST


def room_url(ip: str, port: int, token: str) -> str:
    return f"http://{ip}:{port}/?token={token}"


def room_banner(url: str, pool: int, qr: bool = True) -> str:
    """What ``make room`` prints before Voilà starts: the URL for the room, a QR code, a warning."""
    local = url.startswith(f"http://{HOST}:")
    head = ("ROOM MODE on 127.0.0.1 (no network address found, or --ip 127.0.0.1): only this machine "
            "can open it:" if local else
            "ROOM MODE: the calculator is reachable FROM THE NETWORK by anyone who has this URL:")
    lines = ["", "=" * 78, head, "", f"    {url}", ""]
    if qr:
        try:
            import segno
        except ImportError:
            lines.append("(pip install segno to see a QR code of this URL here)")
        else:
            import io

            buf = io.StringIO()
            segno.make(url, error="l").terminal(out=buf, compact=True)
            lines.append(buf.getvalue().rstrip("\n"))
    lines += ["", f"{pool} kernels are being started for the first visitors (a minute or two on a "
              "laptop:", "start this 10 minutes before the session).",
              "Plain HTTP: use it on a room network you trust, never on the open internet.",
              "STOP IT with Ctrl+C in this terminal (its kernels stop with it).",
              "=" * 78, ""]
    return "\n".join(lines)


def kernel_processes(server_pid: int) -> list:
    """The Jupyter kernels a server started, as psutil processes (its descendants running ipykernel)."""
    import psutil

    kernels = []
    try:
        children = psutil.Process(server_pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []
    for child in children:
        try:
            if any("ipykernel" in part for part in child.cmdline()):
                kernels.append(child)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    return kernels


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


def command(what: str, root=ROOT, port=None, token=None, open_browser=True, extra=(), start=None,
            ip: str | None = None, pool: int = ROOM_POOL) -> list[str]:
    if what == "lab":
        return lab_argv(root, port, token, open_browser, start=start or START_NOTEBOOK, extra=extra)
    if what == "app":
        return app_argv(root, port, token, open_browser, notebook=start or APP_NOTEBOOK, extra=extra,
                        ip=ip or HOST)
    if what == "room":
        return app_argv(root, port, token, open_browser, notebook=start or APP_NOTEBOOK, extra=extra,
                        ip=ip or network_address(), pool=pool)
    raise ValueError(f"what must be 'lab', 'app' or 'room', got {what!r}")


def main(argv=None) -> int:
    args_in = list(sys.argv[1:] if argv is None else argv)
    extra: list[str] = []
    if "--" in args_in:
        i = args_in.index("--")
        args_in, extra = args_in[:i], args_in[i + 1:]
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("what", choices=["lab", "app", "room"])
    ap.add_argument("--root", default=str(ROOT), help="folder served (default: the repository)")
    ap.add_argument("--port", type=int, default=None)
    ap.add_argument("--token", default=None, help="default: a random token chosen by jupyter/voila")
    ap.add_argument("--no-browser", action="store_true")
    ap.add_argument("--start", default=None, metavar="PATH",
                    help=f"lab: notebook opened first (default {START_NOTEBOOK}); app: the notebook served "
                         f"(default {APP_NOTEBOOK})")
    ap.add_argument("--ip", default=None,
                    help="app/room: address to listen on (default: 127.0.0.1 for app, this machine's "
                         "network address for room)")
    ap.add_argument("--pool", type=int, default=ROOM_POOL,
                    help=f"room: kernels started ahead of the visitors (default {ROOM_POOL})")
    ap.add_argument("--isolate", default=None, metavar="DIR",
                    help="keep Jupyter config/runtime/settings/workspaces in DIR")
    ap.add_argument("--dry-run", action="store_true", help="print the command and exit")
    a = ap.parse_args(args_in)
    if a.what == "room" and a.token is None:
        a.token = secrets.token_urlsafe(9)  # 12 characters: short enough to type from the projector
    argv_out = command(a.what, a.root, a.port, a.token, not a.no_browser, extra, a.start, a.ip, a.pool)
    env = isolated_env(a.isolate) if a.isolate else dict(os.environ)
    if a.what in ("app", "room"):
        env = app_env(env)
    if a.dry_run:
        print(" ".join(argv_out))
        return 0
    print("==> " + " ".join(argv_out), flush=True)
    if a.what == "room":
        ip = next(x.split("=", 1)[1] for x in argv_out if x.startswith("--Voila.ip="))
        print(room_banner(room_url(ip, a.port or APP_PORT, a.token), a.pool), flush=True)
    os.execvpe(argv_out[0], argv_out, env)
    return 0  # pragma: no cover - execvpe does not return


if __name__ == "__main__":
    sys.exit(main())

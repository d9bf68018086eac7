"""The workbook's plot style: Okabe-Ito colours and the rcParams of costlib/data/workbook.mplstyle (§30.1-§30.10)."""
from __future__ import annotations

import contextlib
import functools
from importlib import resources

import matplotlib as mpl
import matplotlib.style as mstyle

# ---------------------------------------------------------------- one style

# Okabe & Ito (2008), "Color Universal Design": distinguishable with every common colour-vision deficiency.
OKABE_ITO = {
    "black": "#000000", "orange": "#E69F00", "sky_blue": "#56B4E9", "bluish_green": "#009E73",
    "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00", "reddish_purple": "#CC79A7",
}
BLUE, ORANGE, GREEN = OKABE_ITO["blue"], OKABE_ITO["orange"], OKABE_ITO["bluish_green"]
VERMILLION, PURPLE, SKY = OKABE_ITO["vermillion"], OKABE_ITO["reddish_purple"], OKABE_ITO["sky_blue"]
BLACK, GREY = OKABE_ITO["black"], "#8C8C8C"
PALETTE = (BLUE, ORANGE, GREEN, VERMILLION, PURPLE, SKY, OKABE_ITO["yellow"], BLACK)
CHAPTER = VERMILLION  # colour of every "chapter §30.x" mark
INFEASIBLE = GREY  # colour of everything that does not fit

# The rcParams live in costlib/data/workbook.mplstyle, read once (matplotlib's own rc-file parser).
STYLE_FILE = str(resources.files("costlib.data").joinpath("workbook.mplstyle"))
STYLE = dict(mpl.rc_params_from_file(STYLE_FILE, use_default_template=False))


@contextlib.contextmanager
def style():
    """Apply the workbook's matplotlib style inside a ``with`` block (every plot function uses it).

    ``style.context`` restores every rcParam on exit, including the interactive flag that Jupyter's
    inline backend switches on when pyplot is first imported inside the block; keep that flag,
    or every figure after the first one in a kernel would silently not be shown.
    """
    global _STYLE_DEPTH
    if _STYLE_DEPTH:  # nested (an explorer's redraw calling a plot function): the style is already in force
        yield
        return
    with mstyle.context(STYLE):
        _STYLE_DEPTH += 1
        try:
            yield
        finally:
            _STYLE_DEPTH -= 1
            keep = mpl.is_interactive()
    mpl.interactive(keep)


_STYLE_DEPTH = 0  # how many style() blocks are open (only the outermost applies and restores rcParams)


def styled(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with style():
            return fn(*args, **kwargs)

    return wrapper

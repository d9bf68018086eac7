"""The page's device pixel ratio, so an explorer draws its figure with as many pixels as the screen shows."""
from __future__ import annotations

import math
from pathlib import Path

import anywidget
import traitlets

MAX_PIXEL_DENSITY = 2  # PNG pixels per CSS pixel at most: 3x phones get 2x, which is already crisp


class PixelRatio(anywidget.AnyWidget):
    """Reports ``window.devicePixelRatio`` of the page showing it in ``ratio`` (None until a page does) (§30.1)."""

    _esm = Path(__file__).with_name("pixel_ratio.js")
    ratio = traitlets.Float(None, allow_none=True).tag(sync=True)


def pixel_density(ratio: float | None, default: int) -> int:
    """PNG pixels per CSS pixel for a page with this device pixel ratio; ``default`` when no page said (§30.1).

    A standard screen (ratio 1) gets 1, so no pixel is drawn, encoded, sent and decoded in vain; a HiDPI
    screen (1.25 to 2 and above) gets 2, at most ``MAX_PIXEL_DENSITY``.
    """
    if ratio is None or not math.isfinite(ratio) or ratio <= 0:
        return default
    return max(1, min(MAX_PIXEL_DENSITY, math.ceil(ratio - 1e-9)))

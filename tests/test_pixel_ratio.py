"""Explorers draw as many pixels as the page's screen shows: the device pixel ratio the page reports (#17)."""
import io
import math

import pytest
from PIL import Image

from costlib.ui import widgets
from costlib.ui.widgets import explorer as explorer_module
from costlib.ui.widgets.pixel_ratio import MAX_PIXEL_DENSITY, PixelRatio, pixel_density


@pytest.mark.parametrize(("ratio", "density"), [
    (None, 2),  # no page has said: the default (the saved outputs stay crisp on any screen)
    (1.0, 1),  # a standard screen
    (0.9, 1),  # zoomed out: never below one pixel per CSS pixel
    (1.25, 2), (1.5, 2), (2.0, 2),  # scaled and HiDPI screens
    (3.0, 2),  # a 3x phone: 2 is already crisp
    (math.nan, 2), (0.0, 2), (-1.0, 2),  # nonsense from a page: the default
])
def test_density_for_a_pixel_ratio(ratio, density):
    assert pixel_density(ratio, default=2) == density
    assert MAX_PIXEL_DENSITY == 2


def png_width(ex) -> int:
    return Image.open(io.BytesIO(bytes(ex.image.value))).size[0]


def test_explorer_redraws_at_the_reported_density_and_keeps_its_numbers():
    ex = widgets.EXPLORERS["cost_explorer"]()
    css_px = int(ex.image.layout.max_width.removesuffix("px"))  # the figure's width on the page
    assert isinstance(ex.pixel_ratio, PixelRatio) and ex.pixel_ratio.ratio is None
    assert png_width(ex) == css_px * explorer_module.PIXEL_DENSITY  # before any page says
    message = ex.message
    for ratio, density in [(2.0, 2), (1.0, 1), (1.5, 2)]:
        redraws = ex.redraws
        ex.pixel_ratio.ratio = ratio  # as the page's front-end module sets it
        assert ex.density == density
        assert png_width(ex) == css_px * density
        assert ex.redraws == redraws + 1 and ex.message == message  # one redraw, the same result
    redraws = ex.redraws
    ex.pixel_ratio.ratio = 2.0  # another ratio with the same density: nothing to redraw
    assert ex.redraws == redraws and png_width(ex) == css_px * 2
    # a control change afterwards keeps the density
    ex.controls["utilization"].value = 0.5
    assert png_width(ex) == css_px * 2

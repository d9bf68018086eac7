"""The painter encodes a PNG only when the pixels changed (costlib/ui/widgets/painter.py)."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

from costlib.ui import widgets  # noqa: E402
from costlib.ui.widgets import painter  # noqa: E402


def test_a_change_that_moves_no_pixel_sends_the_same_png_without_encoding(monkeypatch):
    ex = widgets.EXPLORERS["tour"](tp=2)  # two GPUs fit, so the price changes the text, not the memory chart
    encoded = []
    real = painter.encode_png
    monkeypatch.setattr(painter, "encode_png", lambda canvas: encoded.append(1) or real(canvas))
    png, text = ex.image.value, ex.message
    ex.controls["usd_per_gpu_hour"].value = 3.0
    assert ex.message != text  # the price is in the text ...
    assert encoded == [] and ex.image.value == png  # ... and in no pixel: the last PNG is sent again
    ex.controls["weights"].value = "fp8"  # half the weight bytes: the chart changes
    assert encoded == [1] and ex.image.value != png

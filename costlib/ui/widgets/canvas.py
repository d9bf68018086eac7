"""The explorers' canvas: Agg with cached text layout and glyph bitmaps for fast redraws, and a fast PNG encoder."""
from __future__ import annotations

import os
import struct
import zlib

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg

# ---------------------------------------------------------------- fast text for redraws

# Drawing text is 75-90% of an explorer's redraw with Agg: every draw lays out each string and
# renders each glyph with FreeType again, though a redraw shows mostly the same strings. The
# explorers' canvas keeps the layout of each string, each glyph's bitmap and each string's
# composed bitmap (one blit per string, not per glyph), at positions
# rounded to a quarter pixel (glyph spacing moves by at most 1/8 px). It relies on private parts
# of matplotlib's Agg backend; if they are missing, the stock renderer is used unchanged.
_SUBPIXEL = 4


def _fast_text_available() -> bool:
    from matplotlib import ft2font
    from matplotlib.backends import backend_agg as ba

    return all(hasattr(ba, n) for n in ("RendererAgg", "get_hinting_flag", "RenderMode")) and all(
        hasattr(ba.RendererAgg, n) for n in ("_prepare_font", "draw_text")) and all(
        hasattr(ft2font.FT2Font, n) for n in ("_layout", "load_glyph", "get_char_index"))


# Characters whose layout _pair_layout reproduces (checked against FreeType in tests/test_retained.py):
# ASCII and the symbols the workbook prints; the font's ligatures are the only context it has for them.
_PAIR_CHARS = frozenset(" !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`"
                        "abcdefghijklmnopqrstuvwxyz{|}~×÷→←≈≤≥±µ§·—–…°")
_LIGATURES = ("ff", "fi", "fl")


def _caching_renderer_class():
    from matplotlib import ft2font
    from matplotlib.backends import backend_agg as ba

    class CachingRendererAgg(ba.RendererAgg):
        """RendererAgg that reuses string layouts and glyph bitmaps between draws (plain text only)."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._layouts = {}
            self._glyphs = {}
            self._strings = {}
            self._heights = {}
            self._metrics = {}
            self._glyph_metrics = {}
            self._char_glyphs = {}
            self._kerning = {}

        def _get_font_height_metrics(self, prop):
            """(ascent, descent, line gap) of a font in pixels, as Text._get_layout computes them, cached."""
            key = (prop, self.dpi)
            hit = self._heights.get(key)
            if hit is None:
                from matplotlib.font_manager import fontManager, get_font

                font = get_font(fontManager._find_fonts_by_props(prop))
                hit = (None, None, None)
                for table_name, gap, asc, desc in (("OS/2", "sTypoLineGap", "sTypoAscender", "sTypoDescender"),
                                                   ("hhea", "lineGap", "ascent", "descent")):
                    table = font.get_sfnt_table(table_name)
                    if table is None:
                        continue
                    scale = prop.get_size_in_points() * self.dpi / 72 / font.get_sfnt_table("head")["unitsPerEm"]
                    hit = (table[asc] * scale, -table[desc] * scale, table[gap] * scale)
                    break
                self._heights[key] = hit
            return hit

        def _layout_items(self, s, prop, features, language, flags):
            """(cache key, [(font, glyph index, x, y), ...]) of one line of text, laid out once per string."""
            key = (s, prop, self.dpi, features if features is None else tuple(features), language, flags)
            items = self._layouts.get(key)
            if items is None:
                if len(self._layouts) > 4000:  # a long session of slider moves: start afresh
                    self._layouts.clear()
                    self._glyphs.clear()
                    self._strings.clear()
                    self._metrics.clear()
                items = self._pair_layout(s, prop, flags) if features is None and language is None else None
                if items is None:
                    font = self._prepare_font(prop)
                    items = [(it.ft_object, it.glyph_index, it.x, it.y)
                             for it in font._layout(s, flags=flags, features=features, language=language)]
                self._layouts[key] = items
            return key, items

        def _glyph(self, font, size, glyph, flags):
            """(advance, bottom, top) of one glyph in 1/64 px, loaded once per font size."""
            gkey = (id(font), size, self.dpi, glyph, flags)
            g = self._glyph_metrics.get(gkey)
            if g is None:
                loaded = font.load_glyph(glyph, flags)
                g = self._glyph_metrics[gkey] = (loaded.horiAdvance, loaded.bbox[1], loaded.bbox[3], font)
            return g

        def _pair_layout(self, s, prop, flags):
            """FT2Font._layout's result for a new string without laying it out: each glyph sits at the
            previous one's pen position plus its advance plus the kerning of the pair, which is
            looked up once per pair (as FreeType applies it for the font's default features). Only
            for unhinted DejaVu Sans in the characters of _PAIR_CHARS without the f-ligatures (ff,
            fi, fl), where a test finds the result identical to FT2Font._layout; None otherwise."""
            if flags != ft2font.LoadFlags.NO_HINTING or not _PAIR_CHARS.issuperset(s) or any(p in s for p in _LIGATURES):
                return None
            font = self._prepare_font(prop)
            if not os.path.basename(font.fname).startswith("DejaVuSans"):  # the fonts the check covers
                return None
            size = prop.get_size_in_points()
            fkey = (id(font), size, self.dpi)
            items, pen, adv, prev = [], 0, 0, None
            for c in s:
                ckey = (fkey, c)
                glyph = self._char_glyphs.get(ckey)
                if glyph is None:
                    glyph = self._char_glyphs[ckey] = font.get_char_index(ord(c))
                if not glyph:  # not in this font: FreeType would look in a fallback font
                    return None
                if prev is not None:
                    pkey = (fkey, prev, c)
                    kern = self._kerning.get(pkey)
                    if kern is None:
                        pair = font._layout(prev + c, flags=flags)
                        if len(pair) != 2 or pair[1].y or pair[0].ft_object is not font:
                            return None
                        first = self._glyph(font, size, pair[0].glyph_index, flags)[0]
                        kern = self._kerning[pkey] = round(pair[1].x * 64) - first
                    pen += adv + kern
                adv = self._glyph(font, size, glyph, flags)[0]
                items.append((font, glyph, pen / 64, 0.0))
                prev = c
            return items

        def get_text_width_height_descent(self, s, prop, ismath):
            """Stock Agg lays each new string out twice, once to measure it (FT2Font.set_text) and once
            to draw it; here the measure comes from the drawing layout: width = pen position after
            the last glyph, height and descent from the union of the glyphs' boxes (a test checks
            this against stock Agg on thousands of strings)."""
            if ismath or not s:
                return super().get_text_width_height_descent(s, prop, ismath)
            flags = ba.get_hinting_flag()
            key, items = self._layout_items(s, prop, None, None, flags)
            hit = self._metrics.get(key)
            if hit is None:
                hit = self._measure(items, prop, flags) or super().get_text_width_height_descent(s, prop, ismath)
                self._metrics[key] = hit
            return hit

        def _measure(self, items, prop, flags):
            font = self._prepare_font(prop)
            size = prop.get_size_in_points()
            y0, y1, pen, adv = 1 << 60, -(1 << 60), 0, 0
            for ft, glyph, x, _y in items:
                if ft is not font:  # a fallback font: let stock Agg measure it
                    return None
                adv, gy0, gy1, _ = self._glyph(font, size, glyph, flags)
                pen = round(x * 64)  # layout positions are whole 1/64 px
                y0, y1 = min(y0, gy0), max(y1, gy1)
            if not items:
                return None
            return (pen + adv) / 64.0, (y1 - y0) / 64.0, -y0 / 64.0

        def draw_text(self, gc, x, y, s, prop, angle, ismath=False, mtext=None):
            if ismath or not gc.get_antialiased() or angle not in (0, 90, 0.0, 90.0):
                return super().draw_text(gc, x, y, s, prop, angle, ismath, mtext)
            # mtext is None for each line of a multi-line text: stock Agg then lays it out without features
            features, language = (None, None) if mtext is None else (mtext.get_fontfeatures(), mtext.get_language())
            flags = ba.get_hinting_flag()
            key, items = self._layout_items(s, prop, features, language, flags)
            size = prop.get_size_in_points()
            vertical = angle in (90, 90.0)
            q = _SUBPIXEL
            x0, y0 = round(x * q), round((self.height - y) * q)  # origin on the quarter-pixel grid
            skey = (key, size, vertical, x0 % q, y0 % q)
            hit = self._strings.get(skey)
            if hit is None:
                hit = self._strings[skey] = self._string_image(items, size, vertical, x0 % q, y0 % q, flags)
            img, col, row = hit
            if img is not None:
                top = int(self.height) - y0 // q + row
                self._renderer.draw_text_image(img, x0 // q + col, top + img.shape[0], 0, gc)

        def _string_image(self, items, size, vertical, fx0, fy0, flags):
            """One bitmap for a whole string whose origin sits at (fx0, fy0) quarter pixels: one blit per
            string instead of one per glyph. Returns (image or None, column, row of its top-left corner)."""
            cos, sin = (0.0, 1.0) if vertical else (1.0, 0.0)
            q = _SUBPIXEL
            parts = []
            for ft, glyph, dx, dy in items:  # dy is upwards
                ix, fx = divmod(fx0 + round((dx * cos - dy * sin) * q), q)
                iy, fy = divmod(fy0 + round((dx * sin + dy * cos) * q), q)  # FreeType's y is upwards
                gkey = (id(ft), size, self.dpi, glyph, vertical, fx, fy, flags)
                hit = self._glyphs.get(gkey)
                if hit is None:
                    ft.set_size(size, self.dpi)
                    rot = np.array([[cos, -sin], [sin, cos]])
                    ft._set_transform((0x10000 * rot).round().astype(int),
                                      [round(0x40 * fx / q), round(0x40 * fy / q)])
                    bm = ft._render_glyph(glyph, flags, ba.RenderMode.NORMAL)
                    hit = (bm.buffer.copy(), bm.left, bm.top, ft)  # ft kept: its id stays unique
                    self._glyphs[gkey] = hit
                buf, left, top, _ = hit
                if buf.size:
                    parts.append((buf, ix + left, -(iy + top)))  # column, row of the glyph's top-left
            if not parts:
                return None, 0, 0
            c0 = min(c for _, c, _ in parts)
            r0 = min(r for _, _, r in parts)
            c1 = max(c + b.shape[1] for b, c, _ in parts)
            r1 = max(r + b.shape[0] for b, _, r in parts)
            img = np.zeros((r1 - r0, c1 - c0), np.uint8)
            for b, c, r in parts:
                view = img[r - r0:r - r0 + b.shape[0], c - c0:c - c0 + b.shape[1]]
                np.maximum(view, b, out=view)
            return img, c0, r0

    return CachingRendererAgg


class ExplorerCanvas(FigureCanvasAgg):
    """Agg canvas whose renderer caches text between redraws (see above)."""

    _renderer_class = None

    def get_renderer(self):
        cls = type(self)._renderer_class
        if cls is None:
            return super().get_renderer()
        w_px, h_px = self.get_width_height(physical=True)
        key = w_px, h_px, self.figure.dpi
        if self._lastKey != key:
            self.renderer = cls(w_px, h_px, self.figure.dpi)
            self._lastKey = key
        return self.renderer


if _fast_text_available():
    ExplorerCanvas._renderer_class = _caching_renderer_class()


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_rgb(rgba) -> bytes:
    """An RGBA canvas buffer (h, w, 4) as an 8-bit RGB PNG: no row filters, zlib level 1.

    Twice as fast as PIL's encoder on an explorer's figure (which tries row filters) and no larger:
    the figures are mostly flat colour, which zlib packs well without filtering.
    """
    h_px, w_px = rgba.shape[:2]
    rows = np.empty((h_px, 3 * w_px + 1), np.uint8)  # each row: filter byte 0 (none), then RGB
    rows[:, 0] = 0
    src, dst = rgba.reshape(h_px, 4 * w_px), rows[:, 1:]
    for c in range(3):  # one channel at a time: 8x faster than copying (h, w, 3) out of (h, w, 4)
        dst[:, c::3] = src[:, c::4]
    header = struct.pack(">IIBBBBB", w_px, h_px, 8, 2, 0, 0, 0)  # 8 bits, truecolour, no interlace
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header)
            + _png_chunk(b"IDAT", zlib.compress(rows.tobytes(), 1)) + _png_chunk(b"IEND", b""))

"""Retained drawing for the explorers: reuse the last run's artists and the pixels under the first change (§30.1-§30.10).

An explorer calls the same ``plots.*`` function after every control change. Rebuilding every
artist (``plot()``, ``annotate()``, ``legend()``, ...) and redrawing all of them costs more than
computing the new numbers. Two pieces make a redraw cheap without a second code path for updates:

* :class:`Scene` hands the plot function a stand-in for its Axes that records every call. On the
  next run, the k-th call made from a given line of code reuses the artists of that line's k-th
  call last time: lines, texts, annotations, axhline/axvline lines and bars take their new data
  and style in place; a legend is kept when its handles look the same (its labels are rewritten
  in place); any other call that made artists keeps them when its arguments are identical and
  makes new ones otherwise. Artist-making calls that are new are made; ones that did not come
  back are dropped. A call that sets up the axes (limits, scales, ticks, labels...) and is new or
  did not come back means another branch of the plot function ran: the run starts again on
  emptied axes, so the figure is always the one a fresh call would draw.
* :class:`Layers` draws the figure. Artists are painted in z-order; the pixels painted before the
  first artist that changed are kept, and the next redraw restores them and paints only the rest,
  provided nothing before that point changed (same artists, same Axes-level calls with the same
  arguments, same view limits, same layout). Anything else gets a full draw.

Both rely on a few private parts of matplotlib (``Axes._children``, ``_update_*_limits``,
``_request_autoscale_view``, ``_convert_dx``, ``Artist._animated``); tests compare every explorer's
updated picture pixel for pixel with a full redraw from empty axes. Changes made to the axes
outside the plot function (e.g. ``ex.ax.spines[...]`` by hand) are seen only on artists the plot
function made; ``Explorer.redraw()`` draws everything afresh.
"""
from __future__ import annotations

import numbers
import sys
from operator import attrgetter

import numpy as np
from matplotlib import collections as mcoll
from matplotlib import image as mimage
from matplotlib import lines as mlines
from matplotlib import patches as mpatches
from matplotlib import text as mtext
from matplotlib import ticker

__all__ = ["Scene", "Layers", "same"]


class _Restart(BaseException):  # noqa: N818 - control flow, not an error; BaseException so no `except Exception` eats it
    """A retained run met a call sequence other than the last run's: start again on empty axes."""


_NO = object()  # a reuse handler declines: treat the call as any other call that makes artists


# ---------------------------------------------------------------- value comparison

# runtime state a ticker object picks up while it is used (not what it was built with)
_TICKER_STATE = frozenset({"axis", "locs", "_locs", "offset", "orderOfMagnitude", "format"})


def _same_ticker(a, b) -> bool:
    skip = set(_TICKER_STATE)
    if getattr(type(a), "_subs_from_span", False):  # costlib.ui.plots.axes.LogTicks picks its subs per view span
        skip.add("_subs")
    da, db = vars(a), vars(b)
    keys = (set(da) | set(db)) - skip
    return all(k in da and k in db and same(da[k], db[k]) for k in keys)


def _same_function(a, b) -> bool:
    if a.__code__ is not b.__code__ or not same(a.__defaults__, b.__defaults__):
        return False
    ca, cb = a.__closure__ or (), b.__closure__ or ()
    return len(ca) == len(cb) and all(same(x.cell_contents, y.cell_contents) for x, y in zip(ca, cb, strict=True))


_SEQUENCES = (list, tuple, range)


def same(a, b) -> bool:
    """True when two call arguments would give the same artists: values, arrays, dicts, tickers, lambdas.

    Objects it cannot compare (transforms, artists) are the same only when they are the same object.
    """
    if a is b:
        return True
    if isinstance(a, (str, bytes, bool, type(None))) or isinstance(b, (str, bytes, bool, type(None))):
        return type(a) is type(b) and a == b
    if isinstance(a, numbers.Number) and isinstance(b, numbers.Number):
        return bool(a == b) or (a != a and b != b)  # NaN equals NaN here
    if isinstance(a, dict) or isinstance(b, dict):
        return (isinstance(a, dict) and isinstance(b, dict) and a.keys() == b.keys()
                and all(same(a[k], b[k]) for k in a))
    if isinstance(a, _SEQUENCES) and isinstance(b, _SEQUENCES):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if hasattr(a, "__array__") or hasattr(b, "__array__") or isinstance(a, _SEQUENCES) \
            or isinstance(b, _SEQUENCES):
        try:
            x, y = np.asarray(a), np.asarray(b)
        except Exception:  # noqa: BLE001 - not comparable as arrays: not the same
            return False
        if x.shape != y.shape:
            return False
        if x.dtype == object or y.dtype == object:
            return all(same(p, q) for p, q in zip(x.ravel().tolist(), y.ravel().tolist(), strict=True))
        try:
            return bool(np.array_equal(x, y, equal_nan=x.dtype.kind in "fc" and y.dtype.kind in "fc"))
        except TypeError:
            return False
    if type(a) is not type(b):
        return False
    if isinstance(a, (ticker.Locator, ticker.Formatter)):
        return _same_ticker(a, b)
    if callable(a) and hasattr(a, "__code__"):
        return _same_function(a, b)
    return False


def _frozen(x):
    """A copy of a call argument that later changes to the caller's lists or arrays cannot alter."""
    if isinstance(x, (list, tuple)):
        return tuple(_frozen(v) for v in x)
    if isinstance(x, dict):
        return {k: _frozen(v) for k, v in x.items()}
    if isinstance(x, np.ndarray):
        return x.copy()
    if hasattr(x, "to_numpy") and hasattr(x, "shape"):  # pandas: compare by values
        return np.array(x.to_numpy(), copy=True)
    return x


# ---------------------------------------------------------------- the recorded calls

class _Call:
    __slots__ = ("site", "target", "name", "args", "kwargs", "artists", "containers", "legend", "result", "extra")

    def __init__(self, site, target, name, args, kwargs, artists=(), containers=(), legend=None, result=None,
                 extra=None):
        self.site, self.target, self.name = site, target, name
        self.args, self.kwargs = _frozen(args), _frozen(kwargs)
        self.artists, self.containers, self.legend = list(artists), list(containers), legend
        self.result, self.extra = result, extra

    @property
    def made(self) -> bool:
        return bool(self.artists or self.containers or self.legend is not None)


# Names of Axes/Axis methods that only read: called directly, not recorded.
_READ_PREFIXES = ("get_", "is_", "has_", "format_", "can_", "contains", "_")
_READERS = frozenset({"convert_xunits", "convert_yunits", "in_axes", "findobj", "properties"})


# Calls that only add artists: one the last run did not make is added; any other new call restarts the run.
_MAKERS = frozenset({
    "plot", "annotate", "text", "axhline", "axvline", "axhspan", "axvspan", "fill_between", "fill_betweenx", "bar",
    "barh", "errorbar", "hlines", "vlines", "scatter", "step", "stairs", "fill", "stem", "arrow", "legend",
    "add_patch", "add_line", "add_artist", "add_collection",
})
# Calls that never read the data or view limits: the deferred data limits need not be counted first.
_NO_LIMIT_READS = frozenset({
    "plot", "annotate", "text", "bar", "barh", "axhline", "axvline", "legend", "set_title", "set_xlabel",
    "set_ylabel", "grid", "set_major_formatter", "set_minor_formatter", "set_major_locator", "set_minor_locator",
})
# Attributes that are read without touching the limits (everything else counts the deferred limits first).
_NO_LIMIT_ATTRS = frozenset({"get_xaxis_transform", "get_yaxis_transform", "transAxes", "transData", "texts",
                             "lines", "patches", "collections", "containers", "spines", "legend_", "figure",
                             "get_figure", "xaxis", "yaxis"})


def _reads_no_limits(name, args, kwargs, ax=None) -> bool:
    """True for a call that cannot read the data or view limits (so the deferred limits can wait)."""
    if name in _NO_LIMIT_READS:
        return True
    if name not in ("set_xlim", "set_ylim") or len(args) > 2 or "auto" in kwargs:
        return False
    lo, hi = (args + (None, None))[:2]
    if hi is None and lo is not None and np.iterable(lo) and len(lo) == 2:
        lo, hi = lo
    x = name == "set_xlim"
    lo = lo if lo is not None else kwargs.get("left" if x else "bottom", kwargs.get("xmin" if x else "ymin"))
    hi = hi if hi is not None else kwargs.get("right" if x else "top", kwargs.get("xmax" if x else "ymax"))
    if lo is None or hi is None:  # one end kept: the current limits are read
        return False
    try:  # a non-positive end on a log axis reads the current limits too
        return (ax is not None and (ax.get_xscale() if x else ax.get_yscale()) == "linear") or (lo > 0 and hi > 0)
    except TypeError:
        return False


class _Proxy:
    """Stands in for an Axes (or its x/y Axis) inside a plot function: records and replays its calls."""

    __slots__ = ("_target", "_scene")

    def __init__(self, target, scene):
        object.__setattr__(self, "_target", target)
        object.__setattr__(self, "_scene", scene)

    def __getattr__(self, name):
        value = getattr(self._target, name)
        scene = self._scene
        if self._target is scene.ax and name in ("xaxis", "yaxis"):
            return _Proxy(value, scene)
        if not callable(value) or name.startswith(_READ_PREFIXES) or name in _READERS \
                or not hasattr(value, "__self__"):
            if name not in _NO_LIMIT_ATTRS:
                scene._flush()  # e.g. get_xlim(): count the deferred data limits first
            return value
        target = self._target

        def recorded(*args, **kwargs):
            caller = sys._getframe(1)  # the line of the plot function making this call
            return scene._call((caller.f_code, caller.f_lineno), target, name, value, args, kwargs)

        return recorded

    def __setattr__(self, name, value):
        setattr(self._target, name, value)

    def __repr__(self):
        return f"<retained {self._target!r}>"


# ---------------------------------------------------------------- the scene

def _extend_limits(ax, artist) -> bool:
    """Add one artist's data to ax.dataLim as Axes.add_* does (the relim() dispatch); True if it counts."""
    if not artist._get_in_autoscale():
        return False
    if isinstance(artist, mlines.Line2D):
        ax._update_line_limits(artist)
    elif isinstance(artist, mpatches.Patch):
        ax._update_patch_limits(artist)
    elif isinstance(artist, mcoll.Collection):
        ax._update_collection_limits(artist)
    elif isinstance(artist, mimage.AxesImage):
        ax._update_image_limits(artist)
    else:
        return False
    return True


def _rect_corners(ax, r):
    """Data-space corners that Axes._update_patch_limits counts for a plain bar, computed the same way.

    For an unrotated Rectangle drawn in data coordinates, matplotlib maps the unit square through
    BboxTransformTo(Bbox([[x0, y0], [x0 + w, y0 + h]])), i.e. the far corner is ((x0 + w) - x0) + x0.
    Returns None when the shortcut does not apply (the caller uses matplotlib's own method) and
    False when matplotlib would skip the patch (zero width and height)."""
    if (type(r) is not mpatches.Rectangle or not r._get_in_autoscale() or r.angle != 0
            or r._aspect_ratio_correction != 1 or r.get_data_transform() is not ax.transData
            or ax.name != "rectilinear"):
        return None
    w, h = r.get_width(), r.get_height()
    if not w and not h:
        return False
    x0, y0 = r.convert_xunits(r._x0), r.convert_yunits(r._y0)
    x1, y1 = r.convert_xunits(r._x0 + r._width), r.convert_yunits(r._y0 + r._height)
    (x0, y0), (x1, y1) = np.array([[x0, y0], [x1, y1]], dtype=float)
    c = np.array([[x0, y0], [(x1 - x0) + x0, (y1 - y0) + y0]])
    return c if np.isfinite(c).all() else None


def _column(x):
    """Data for Line2D.set_data as Axes.plot passes it (1-D, pandas unpacked)."""
    if hasattr(x, "to_numpy"):
        x = x.to_numpy()
    return x if hasattr(x, "shape") and getattr(x, "ndim", 0) >= 1 else np.atleast_1d(x)


class Scene:
    """Runs a plot function on one Axes, reusing the artists of its last run (see the module docstring).

    ``reset(ax)`` empties the axes for a fresh run. After :meth:`run`, ``dirty`` holds the artists
    made or changed by the run and ``axes_same`` says whether every other call (limits, scales,
    labels, tickers) repeated the last run's arguments.
    """

    def __init__(self, ax, reset):
        self.ax = ax
        self._reset = reset
        self._prev = None  # calls of the last complete run
        self._calls = []
        self._retained = False
        self._unsafe = False
        self._pending = []  # reused artists whose data limits are still to be counted (see _flush)
        self.dirty = set()
        self.style_changed = set()
        self.axes_same = False
        self.enabled = True  # False after a retained run failed on matplotlib internals: fresh runs only
        self.stats = {"retained": 0, "fresh": 0, "restarts": 0, "fallbacks": 0}

    def forget(self):
        """Drop the record of the last run: the next run starts on empty axes."""
        self._prev = None

    def run(self, fn, *args):
        """Call ``fn(*args, ax)`` with the recording stand-in for the Axes; return what it returns.

        If a retained run fails for any reason but a ValueError (costlib's answer to bad input), for
        example because a matplotlib release changed the private parts this module uses, retained
        runs are switched off for good and the run is repeated fresh: slower, never wrong.
        """
        if self._prev is not None and self.enabled:
            try:
                out = self._run(fn, args, retained=True)
                self.stats["retained"] += 1
                return out
            except _Restart:
                self.stats["restarts"] += 1
            except ValueError:
                raise
            except Exception:
                self.enabled = False
                self.stats["fallbacks"] += 1
        self._reset(self.ax)
        out = self._run(fn, args, retained=False)
        self.stats["fresh"] += 1
        return out

    def _run(self, fn, args, retained):
        prev = self._prev
        self._prev = None  # until this run completes
        self._calls, self._retained, self._unsafe, self._pending = [], retained, False, []
        self.dirty, self.style_changed = set(), set()
        self.axes_same = retained
        self._by_site, self._seen = {}, {}
        if retained:
            self._detach(prev)
            for c in prev:
                self._by_site.setdefault(c.site, []).append(c)
        out = fn(*args, _Proxy(self.ax, self))
        if retained:  # every limit, scale, label or ticker call of the last run must have been made again
            for site, calls in self._by_site.items():
                if any(not c.made for c in calls[self._seen.get(site, 0):]):
                    raise _Restart
        ax = self.ax
        if ax.get_autoscalex_on() or ax.get_autoscaley_on():
            self._flush()  # the view still follows the data
        self._pending = []  # limits set explicitly on both axes: the data limits are not used
        self._prev = None if self._unsafe else self._calls
        return out

    def _detach(self, prev):
        """Take the last run's artists off the axes (each comes back when its call is replayed) and
        reset the data limits as _reset_axes does, so autoscaling sees only this run's artists."""
        ax = self.ax
        ax._children.clear()
        ax.containers.clear()
        ax.legend_ = None
        ax.relim()
        ax.ignore_existing_data_limits = True
        ax.set_autoscale_on(True)
        ax.autoscale_view()

    # -------------------------------------------------------------- one call

    def _flush(self):
        """Count the data limits of the reused artists, as Axes.add_* would have when they were made.

        Reuse handlers defer this (it is a large part of a bar chart's update): the union of data
        limits does not depend on the order, so it is enough to count them before anything reads the
        limits, or not at all when both axes end with limits set explicitly."""
        pending, self._pending = self._pending, []
        ax = self.ax
        corners = []
        for a in pending:
            c = _rect_corners(ax, a)
            if c is None:
                _extend_limits(ax, a)
            elif c is not False:
                corners.append(c)
        if corners:  # one union for all plain rectangles (the union does not depend on the order)
            ax.update_datalim(np.concatenate(corners))

    def _call(self, site, target, name, method, args, kwargs):
        if self._pending and not _reads_no_limits(name, args, kwargs, self.ax):
            self._flush()
        prev = None
        if self._retained:  # the k-th call from a line of code replays that line's k-th call of the last run
            k = self._seen.get(site, 0)
            self._seen[site] = k + 1
            calls = self._by_site.get(site)
            prev = calls[k] if calls is not None and k < len(calls) else None
            if prev is not None and (prev.name != name or prev.target is not target):
                raise _Restart
            if prev is None and name not in _MAKERS:  # a setting call the last run did not make: another branch
                raise _Restart
        if prev is not None and prev.made:
            handler = _REUSE.get(name) if target is self.ax else None
            if handler is not None:  # a call it declines is made again (e.g. plot() without a colour)
                out = handler(self, prev, args, kwargs)
                if out is not _NO:
                    return out
            elif same(args, prev.args) and same(kwargs, prev.kwargs):
                self._keep(prev)
                self._calls.append(prev)
                return prev.result
        elif prev is not None and not (same(args, prev.args) and same(kwargs, prev.kwargs)):
            if name == "set_title" and target is self.ax:  # the titles are artists drawn like any other
                ax = self.ax
                self.dirty.update((ax.title, ax._left_title, ax._right_title))
            else:
                self.axes_same = False  # a limit, scale, label or ticker call with new arguments
        call = self._real(site, target, name, method, args, kwargs)
        if prev is None and not call.made:
            self.axes_same = False  # a limit, scale, label or ticker call the last run did not make
        return call.result

    def _real(self, site, target, name, method, args, kwargs, extra=None):
        ax = self.ax
        n0, c0, leg0 = len(ax._children), len(ax.containers), ax.legend_
        result = method(*args, **kwargs)
        if len(ax._children) < n0 or len(ax.containers) < c0:  # the call removed artists (clear()...)
            self._unsafe = True
            self.axes_same = False
        made = ax._children[n0:]
        legend = ax.legend_ if ax.legend_ is not leg0 else None
        self.dirty.update(made)
        if legend is not None:
            self.dirty.add(legend)
        if name == "legend" and legend is not None and extra is None:
            extra = _legend_key(ax, args, kwargs)
        call = _Call(site, target, name, args, kwargs, made, ax.containers[c0:], legend, result, extra)
        self._calls.append(call)
        return call

    def _attach(self, call):
        ax = self.ax
        ax._children.extend(call.artists)
        ax.containers.extend(call.containers)
        if call.legend is not None:
            ax.legend_ = call.legend

    def _keep(self, call):
        """The call repeats the last one exactly: put its artists back and count their data again."""
        self._attach(call)
        counted = [a for a in call.artists if a._get_in_autoscale()]
        if counted:
            self._pending.extend(counted)
            self.ax._request_autoscale_view()

    def _record(self, prev, args, kwargs, extra=None):
        self._calls.append(_Call(prev.site, prev.target, prev.name, args, kwargs, prev.artists, prev.containers,
                                 prev.legend, prev.result, extra if extra is not None else prev.extra))

    def _restyle(self, artist, prev_kwargs, kwargs, data_keys=()):
        """Apply the style keywords that differ from the last call; False if a keyword set differs."""
        if set(kwargs) != set(prev_kwargs):
            return False
        changed = {k: v for k, v in kwargs.items() if k not in data_keys and not same(v, prev_kwargs[k])}
        if changed:
            try:
                artist.set(**changed)
            except (AttributeError, TypeError, ValueError):
                raise _Restart from None
            self.dirty.add(artist)
            self.style_changed.add(artist)
        return True


# ---------------------------------------------------------------- in-place updates

def _reuse_plot(scene, prev, args, kwargs):
    """ax.plot(x, y, color=..., ...): new data, label and style on the same Line2D."""
    if (len(args) != 2 or len(prev.args) != 2 or len(prev.artists) != 1
            or not isinstance(prev.artists[0], mlines.Line2D)
            or any(isinstance(a, str) for a in args)
            or not ({"color", "c"} & set(kwargs))  # without a colour, plot() would take the next cycle colour
            or {"scalex", "scaley", "data"} & set(kwargs)):
        return _NO
    line = prev.artists[0]
    if set(kwargs) != set(prev.kwargs):
        return _NO
    scene._attach(prev)
    scene._restyle(line, prev.kwargs, kwargs, data_keys=("label",))
    if not (same(args[0], prev.args[0]) and same(args[1], prev.args[1])):
        line.set_data(_column(args[0]), _column(args[1]))
        scene.dirty.add(line)
    if "label" in kwargs and not same(kwargs["label"], prev.kwargs["label"]):
        line.set_label(kwargs["label"])
        scene.dirty.add(line)
    ax = scene.ax
    scene._pending.append(line)
    ax._request_autoscale_view("x")
    ax._request_autoscale_view("y")
    scene._record(prev, args, kwargs)
    return prev.result


def _span_line(axis_name):
    """ax.axhline(y, ...) / ax.axvline(x, ...): the same line moved."""
    def reuse(scene, prev, args, kwargs):
        a, pa = _bind_span(args, kwargs), _bind_span(prev.args, prev.kwargs)
        if a is None or pa is None or len(prev.artists) != 1 or not same(a[1:3], pa[1:3]):
            return _NO
        line = prev.artists[0]
        if set(a[3]) != set(pa[3]):
            return _NO
        scene._attach(prev)
        scene._restyle(line, pa[3], a[3], data_keys=("label",))
        if not same(a[0], pa[0]):
            (line.set_ydata if axis_name == "y" else line.set_xdata)([a[0], a[0]])
            scene.dirty.add(line)
        if "label" in a[3] and not same(a[3]["label"], pa[3]["label"]):
            line.set_label(a[3]["label"])
            scene.dirty.add(line)
        ax = scene.ax
        scene._pending.append(line)
        ax._request_autoscale_view(axis_name)
        scene._record(prev, args, kwargs)
        return line

    return reuse


def _bind_span(args, kwargs):
    """(position, lo, hi, other keywords) of an axhline/axvline call, or None if it cannot be read."""
    kw = dict(kwargs)
    names = ("pos", "lo", "hi")
    vals = list(args)
    if len(vals) > 3:
        return None
    out = {n: v for n, v in zip(names, vals, strict=False)}
    for n, keys in (("pos", ("x", "y")), ("lo", ("xmin", "ymin")), ("hi", ("xmax", "ymax"))):
        for k in keys:
            if k in kw:
                if n in out:
                    return None
                out[n] = kw.pop(k)
    return out.get("pos", 0), out.get("lo", 0), out.get("hi", 1), kw


def _bind_annotate(text, xy, xytext=None, xycoords="data", textcoords=None, arrowprops=None, annotation_clip=None,
                   **kwargs):
    return (text, xy, xytext), (xycoords, textcoords, arrowprops, annotation_clip, xytext is None), kwargs


def _reuse_annotate(scene, prev, args, kwargs):
    """ax.annotate(text, xy, xytext=...): the same Annotation with new text and positions."""
    try:
        (text, xy, xytext), struct, kw = _bind_annotate(*args, **kwargs)
        (ptext, pxy, pxytext), pstruct, pkw = _bind_annotate(*prev.args, **prev.kwargs)
    except TypeError:
        return _NO
    if len(prev.artists) != 1 or not isinstance(prev.artists[0], mtext.Annotation) or not same(struct, pstruct) \
            or set(kw) != set(pkw):
        return _NO
    a = prev.artists[0]
    scene._attach(prev)
    scene._restyle(a, pkw, kw)
    if not same(text, ptext):
        a.set_text(text)
        scene.dirty.add(a)
    if not same(xy, pxy):
        a.xy = xy
        a.stale = True
        scene.dirty.add(a)
        if xytext is None:
            a.set_position(xy)
    if xytext is not None and not same(xytext, pxytext):
        a.set_position(xytext)
        scene.dirty.add(a)
    scene._record(prev, args, kwargs)
    return a


def _bind_text(x, y, s, fontdict=None, **kwargs):
    return (x, y, s), fontdict, kwargs


def _reuse_text(scene, prev, args, kwargs):
    """ax.text(x, y, s, ...): the same Text moved and rewritten."""
    try:
        (x, y, s), fd, kw = _bind_text(*args, **kwargs)
        (px, py, ps), pfd, pkw = _bind_text(*prev.args, **prev.kwargs)
    except TypeError:
        return _NO
    if len(prev.artists) != 1 or not isinstance(prev.artists[0], mtext.Text) or not same(fd, pfd) \
            or set(kw) != set(pkw):
        return _NO
    t = prev.artists[0]
    scene._attach(prev)
    scene._restyle(t, pkw, kw)
    if not (same(x, px) and same(y, py)):
        t.set_position((x, y))
        scene.dirty.add(t)
    if not same(s, ps):
        t.set_text(s)
        scene.dirty.add(t)
    scene._record(prev, args, kwargs)
    return t


def _legend_key(ax, args, kwargs):
    """(handles, labels, other keywords) of a legend() call, resolved as matplotlib resolves them."""
    if args:
        return None
    kw = {k: v for k, v in kwargs.items() if k not in ("handles", "labels")}
    if "handles" in kwargs:
        handles = list(kwargs["handles"])
        labels = list(kwargs["labels"]) if "labels" in kwargs else [h.get_label() for h in handles]
    elif "labels" in kwargs:
        return None
    else:
        handles, labels = ax.get_legend_handles_labels()
    return handles, [str(x) for x in labels], _frozen(kw)


def _patch_look(p):
    return (type(p), tuple(p.get_facecolor()), tuple(p.get_edgecolor()), p.get_hatch(), p.get_linewidth(),
            p.get_linestyle(), p.get_fill(), p.get_alpha())


def _same_handle(scene, h, h0) -> bool:
    if h is h0:
        return h not in scene.style_changed
    if isinstance(h, mpatches.Patch) and isinstance(h0, mpatches.Patch) and h.axes is None and h0.axes is None:
        return _patch_look(h) == _patch_look(h0)
    return False


def _reuse_legend(scene, prev, args, kwargs):
    """ax.legend(...): keep the legend when its handles look the same; rewrite changed labels in place."""
    key, pkey = _legend_key(scene.ax, args, kwargs), prev.extra
    if key is None or pkey is None or prev.legend is None:
        return _NO
    handles, labels, kw = key
    phandles, plabels, pkw = pkey
    if len(handles) != len(phandles) or not same(kw, pkw) \
            or not all(_same_handle(scene, h, h0) for h, h0 in zip(handles, phandles, strict=True)):
        return _NO
    leg = prev.legend
    texts = leg.get_texts()
    if len(texts) != len(labels):
        return _NO
    scene._attach(prev)
    if labels != plabels:
        for t, s in zip(texts, labels, strict=True):
            t.set_text(s)
        scene.dirty.add(leg)
    scene._record(prev, args, kwargs, extra=(phandles, labels, pkw))
    return leg


def _bind_bar(x, height, width=0.8, bottom=None, *, align="center", data=None, **kwargs):
    return x, height, width, bottom, align, data, kwargs


def _bind_barh(y, width, height=0.8, left=None, *, align="center", data=None, **kwargs):
    return left, height, width, y, align, data, kwargs  # in bar()'s terms: x=left, bottom=y


_BAR_DECLINE = frozenset({"xerr", "yerr", "error_kw", "ecolor", "capsize", "tick_label", "log", "orientation"})


def _bar_rects(ax, vertical, x, height, width, y, align):
    """(left, bottom, width, height) per bar, computed as Axes.bar computes them (units, broadcasting, align)."""
    if vertical:
        y = 0 if y is None else y
    else:
        x = 0 if x is None else x
    x0 = x
    x = np.asarray(ax.convert_xunits(x))
    width = ax._convert_dx(width, x0, x, ax.convert_xunits)
    y0 = y
    y = np.asarray(ax.convert_yunits(y))
    height = ax._convert_dx(height, y0, y, ax.convert_yunits)
    x, height, width, y = np.broadcast_arrays(np.atleast_1d(x), height, width, y)
    if align == "center":
        if vertical:
            return x - width / 2, y, width, height
        return x, y - height / 2, width, height
    return x, y, width, height


def _reuse_bars(vertical):
    """ax.bar(...) / ax.barh(...): the same rectangles moved and resized (colours and styles unchanged)."""
    bind = _bind_bar if vertical else _bind_barh

    def reuse(scene, prev, args, kwargs):
        try:
            x, h, w, y, align, data, kw = bind(*args, **kwargs)
            px, ph, pw, py, palign, pdata, pkw = bind(*prev.args, **prev.kwargs)
        except TypeError:
            return _NO
        rects = prev.artists
        if (data is not None or pdata is not None or _BAR_DECLINE & set(kw) or align != palign
                or not same(kw, pkw) or len(prev.containers) != 1
                or not all(type(r) is mpatches.Rectangle for r in rects)):
            return _NO
        ax = scene.ax
        try:
            left, bottom, width, height = _bar_rects(ax, vertical, x, h, w, y, align)
        except (TypeError, ValueError):
            return _NO
        if len(left) != len(rects):
            return _NO
        scene._attach(prev)
        moved = not (same((x, h, w, y), (px, ph, pw, py)))
        for r, lo, bo, wi, he in zip(rects, left, bottom, width, height, strict=True):
            if moved:
                r.set_xy((lo, bo))
                r.set_width(wi)
                r.set_height(he)
                if vertical:
                    r.sticky_edges.y[:] = [bo]
                else:
                    r.sticky_edges.x[:] = [lo]
                scene.dirty.add(r)
        scene._pending.extend(rects)
        prev.containers[0].datavalues = height if vertical else width
        ax._request_autoscale_view()
        scene._record(prev, args, kwargs)
        return prev.result

    return reuse


_REUSE = {"plot": _reuse_plot, "bar": _reuse_bars(True), "barh": _reuse_bars(False), "annotate": _reuse_annotate, "text": _reuse_text,
          "axhline": _span_line("y"), "axvline": _span_line("x"), "legend": _reuse_legend}


# ---------------------------------------------------------------- drawing in layers

def _draw_order(ax):
    """The artists Axes.draw paints after its background patch, in its order (z-order, then insertion)."""
    artists = ax.get_children()
    artists.remove(ax.patch)
    return sorted((a for a in artists if not a.get_animated()), key=attrgetter("zorder"))


class _Background:
    __slots__ = ("key", "prefix", "region")

    def __init__(self, key, prefix, region):
        self.key, self.prefix, self.region = key, prefix, region


class Layers:
    """Draws one figure with one Axes, keeping the pixels painted before the first changed artist.

    ``draw(dirty, axes_same)``: ``dirty`` is the set of artists made or changed since the last draw
    (None: unknown, draw everything); ``axes_same`` says limits, scales, labels and tickers were set
    with the same arguments as for the last draw. Counts of full and partial draws are in ``stats``.
    """

    def __init__(self, fig, ax):
        self.fig, self.ax = fig, ax
        self._bg = None
        self.enabled = True  # False after a failure of matplotlib internals: whole draws only
        self.stats = {"full": 0, "partial": 0, "fallbacks": 0}

    def invalidate(self):
        self._bg = None

    def _simple(self) -> bool:
        ax, fig = self.ax, self.fig
        return (ax.axison and ax._frameon and ax.get_visible() and fig.get_visible()
                and fig.get_children() == [fig.patch, ax] and not ax.child_axes)

    def _key(self, renderer):
        ax, canvas = self.ax, self.fig.canvas
        ax.get_xlim()  # settle pending autoscaling
        return (renderer, canvas.get_width_height(physical=True), self.fig.dpi, tuple(ax.bbox.bounds),
                tuple(ax.viewLim.bounds), ax.get_xscale(), ax.get_yscale())

    def draw(self, dirty=None, axes_same=False):
        """Paint the figure: only the layers above the first changed artist when possible.

        Should the private matplotlib parts it relies on have changed (an AttributeError or
        TypeError), it switches itself off and draws the whole figure from then on.
        """
        if self.enabled:
            try:
                return self._draw(dirty, axes_same)
            except (AttributeError, TypeError):
                self.enabled, self._bg = False, None
                self.stats["fallbacks"] += 1
        self.fig.canvas.draw()
        self.stats["full"] += 1

    def _draw(self, dirty, axes_same):
        canvas, ax = self.fig.canvas, self.ax
        renderer = canvas.get_renderer()
        simple = dirty is not None and self._simple()
        order = _draw_order(ax) if simple else []
        if simple:
            own = set(ax._children)  # artists made by the plot calls: a stale flag means changed since drawn
            if ax.legend_ is not None:
                own.add(ax.legend_)
            changed = [i for i, a in enumerate(order) if a in dirty or (a in own and a.stale)]
            first = changed[0] if changed else len(order)
            leg = ax.legend_
            if leg is not None and changed and getattr(leg, "_loc", None) == 0:  # loc="best" follows the data
                first = min(first, order.index(leg))
            bg = self._bg
            if axes_same and bg is not None and len(bg.prefix) <= first \
                    and order[:len(bg.prefix)] == bg.prefix and bg.key == self._key(renderer):
                canvas.restore_region(bg.region)
                for a in order[len(bg.prefix):]:
                    a.draw(renderer)
                self.stats["partial"] += 1
                self._settle(order)
                return
        self._bg = None
        if simple and 0 < first:
            rest = order[first:]
            for a in rest:
                a._animated = True  # excluded by Axes.draw; painted below after the snapshot
            try:
                canvas.draw()
            finally:
                for a in rest:
                    a._animated = False
            region = canvas.copy_from_bbox(self.fig.bbox)
            for a in rest:
                a.draw(renderer)
            self._bg = _Background(self._key(renderer), order[:first], region)
        else:
            canvas.draw()
        self.stats["full"] += 1
        self._settle(order if simple else _draw_order(ax))

    @staticmethod
    def _settle(order):
        """Everything on screen is now drawn: later changes mark their artists stale again."""
        for a in order:
            a.stale = False

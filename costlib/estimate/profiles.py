"""Named efficiency profiles: calibrated (the default), chapter and ceiling, or one fitted to your own runs (§30.4).

A :class:`Profile` says how close a serving engine gets to the hardware (an :class:`Efficiency` for the
low, mid and high estimate), how it shares memory and schedules steps (:class:`EngineLimits`), the
fixed front-end cost of a first token, and an error band. Three are built in:

* ``calibrated`` (the default): fitted by :func:`costlib.evidence.calibrate.calibrate` to the bundled
  published runs; its band is the spread of held-out errors (``costlib/data/profiles/calibrated.json``);
* ``chapter``: the chapter's textbook efficiencies (MBU 0.60-0.85, MFU 0.30-0.50, §30.4) with no
  overheads, so a notebook can show "what the chapter's numbers say" next to "what measurements say";
* ``ceiling``: the physics limit (efficiencies of 1, no overhead, all of memory, the loosest
  precision plan): no engine can beat it.

A profile saved with :meth:`Profile.save` loads with :func:`load_profile` ("FILE.json").
"""
from __future__ import annotations

import dataclasses
import functools
import json
import os
from dataclasses import dataclass, field
from importlib import resources

from ..common import checks as v
from ..physics.engine import Efficiency, EngineLimits
from ..physics.step import MBU_RANGE, MFU_RANGE, chapter_efficiency

__all__ = ["Profile", "PROFILE_NAMES", "load_profile", "get_profile", "chapter_profile", "ceiling_profile"]

PROFILE_NAMES = ("calibrated", "chapter", "ceiling")


@dataclass(frozen=True)
class Profile:
    """Efficiencies (low, mid, high), engine limits, first-token overhead and error band of one profile (§30.4)."""

    name: str
    mid: Efficiency
    limits: EngineLimits
    low: Efficiency | None = None  # None: the mid efficiency, scaled by band_low
    high: Efficiency | None = None
    band_low: float = 1.0  # factor on mid tokens/s giving the low estimate
    band_high: float = 1.0
    ttft_overhead_s: float = 0.0  # front end: tokenising, scheduling, the first sampling step
    ideal: bool = False  # the ceiling's loosest precision plan
    fitted: tuple = ()
    n_rows: int = 0
    source: str = ""
    as_of: str = ""
    notes: dict = field(default_factory=dict, hash=False, compare=False)

    def __post_init__(self):
        v.number("band_low", self.band_low, high=1.0, scalar=True)
        v.number("band_high", self.band_high, low=1.0, low_inclusive=True, high=100.0, scalar=True)
        v.number("ttft_overhead_s", self.ttft_overhead_s, low=0.0, low_inclusive=True, high=60.0, scalar=True)
        for name in ("mid", "low", "high"):
            val = getattr(self, name)
            if val is not None and not isinstance(val, Efficiency):
                raise ValueError(f"{name} must be an Efficiency, got {val!r}")
        if not isinstance(self.limits, EngineLimits):
            raise ValueError(f"limits must be an EngineLimits, got {self.limits!r}")

    def efficiency(self, point: str) -> Efficiency:
        """The Efficiency behind the low, mid or high estimate."""
        p = v.choice("point", point, ["low", "mid", "high"])
        return getattr(self, p) or self.mid

    def factor(self, point: str) -> float:
        """The band factor on tokens/s of the low, mid or high estimate."""
        p = v.choice("point", point, ["low", "mid", "high"])
        return {"low": self.band_low, "mid": 1.0, "high": self.band_high}[p]

    def with_(self, **changes) -> Profile:
        """A copy with some fields replaced, e.g. ``profile.with_(band_low=0.8)``."""
        names = {f.name for f in dataclasses.fields(self)}
        unknown = sorted(set(changes) - names)
        if unknown:
            raise ValueError(f"unknown Profile field(s) {', '.join(unknown)}; valid: {', '.join(sorted(names))}")
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["fitted"] = list(self.fitted)
        return d

    def save(self, path) -> None:
        """Write the profile as JSON (load it with ``load_profile(path)``)."""
        with open(path, "w", encoding="utf-8") as fh:
            json.dump(self.to_dict(), fh, indent=2, sort_keys=True)
            fh.write("\n")

    @classmethod
    def from_dict(cls, d: dict) -> Profile:
        """Build a profile from the dict :meth:`to_dict` wrote; unknown keys are refused by name."""
        if not isinstance(d, dict):
            raise ValueError(f"a profile must be a JSON object, got {type(d).__name__}")
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - names)
        if unknown:
            raise ValueError(f"unknown profile key(s) {', '.join(unknown)}; valid: {', '.join(sorted(names))}")
        kw = dict(d)
        try:
            for key in ("mid", "low", "high"):
                if kw.get(key) is not None:
                    kw[key] = Efficiency(**kw[key])
            kw["limits"] = EngineLimits(**kw.get("limits", {}))
        except TypeError as e:
            raise ValueError(f"profile: {e}") from None
        kw["fitted"] = tuple(kw.get("fitted", ()))
        return cls(**kw)


def chapter_profile() -> Profile:
    """The chapter's textbook efficiencies (§30.4): MBU 0.60/0.725/0.85, MFU 0.30/0.40/0.50, no overheads.

    The same Efficiency as ``physics.step.decode_step``'s defaults (:func:`chapter_efficiency`), 5 us
    all-reduces included, so the chapter door of ``predict`` and the chapter-era functions agree.
    """
    lo, mid, hi = (chapter_efficiency(level) for level in ("low", "mid", "high"))
    return Profile("chapter", mid=mid, low=lo, high=hi, limits=EngineLimits(reserve_whole_request=False),
                   source=f"Chapter 30, section 30.4 (MBU {MBU_RANGE[0] * 100:.0f}-{MBU_RANGE[1]:.0%}, "
                          f"MFU {MFU_RANGE[0] * 100:.0f}-{MFU_RANGE[1]:.0%})", as_of="2025-11")


def ceiling_profile() -> Profile:
    """The physics limit: efficiencies of 1, no overheads or batch limits, every byte of memory (§30.3)."""
    inf = float("inf")
    eff = Efficiency(overlap=True)
    return Profile("ceiling", mid=eff, limits=EngineLimits(kv_fraction=1.0, reserve_whole_request=False,
                                                          max_batch=inf, max_tokens=inf),
                   ideal=True, source="physics: datasheet peaks and bandwidth, no overhead")


@functools.lru_cache(maxsize=None)
def _bundled(name: str) -> Profile:
    with resources.files("costlib.data").joinpath(f"profiles/{name}.json").open("r", encoding="utf-8") as fh:
        return Profile.from_dict(json.load(fh))


def load_profile(path) -> Profile:
    """Read a profile saved as JSON (e.g. by ``python -m costlib validate FILE --calibrate --save P.json``)."""
    p = os.fspath(path)
    if not os.path.isfile(p):
        raise ValueError(f"profile file not found: {p!r}; give calibrated, chapter, ceiling or a .json file")
    try:
        with open(p, encoding="utf-8") as fh:
            d = json.load(fh)
    except (OSError, json.JSONDecodeError) as e:
        raise ValueError(f"cannot read profile {p!r}: {e}") from None
    return Profile.from_dict(d)


def get_profile(profile="calibrated") -> Profile:
    """A Profile from a name (calibrated, chapter, ceiling), a JSON file path, or a Profile (§30.4)."""
    if isinstance(profile, Profile):
        return profile
    if profile is None:
        profile = "calibrated"
    if isinstance(profile, (str, os.PathLike)) and str(profile).lower().endswith(".json"):
        return load_profile(profile)
    name = v.choice("profile", profile, PROFILE_NAMES)
    if name == "chapter":
        return chapter_profile()
    if name == "ceiling":
        return ceiling_profile()
    return _bundled("calibrated")

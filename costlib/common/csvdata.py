"""The data CSVs of costlib/data read with the standard library, typed cell by cell as pandas types them (§30.8).

The calculator's lookups (a GPU, a model, a price) need rows, not DataFrames, and pandas costs an
app kernel about 44 MB: :func:`rows` reads a file with :mod:`csv` and gives each column the type
``pandas.read_csv`` would infer (bool, int, float or str; a missing cell is NaN, and an integer
column with a missing cell becomes float). :func:`frame` is the DataFrame of the same file for the
functions that return one to a notebook; only it imports pandas.
"""
from __future__ import annotations

import csv
import functools
import math
import re
from importlib import resources
from types import MappingProxyType

__all__ = ["rows", "typed_rows", "frame", "is_missing"]

# Cells pandas.read_csv reads as missing by default (its ``na_values``).
_NA = frozenset({"", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
                 "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"})
_BOOLS = {"true": True, "false": False}
_INT = re.compile(r"[+-]?\d+\Z")
_FLOAT = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\Z|[+-]?(inf|infinity)\Z", re.IGNORECASE)


def is_missing(value) -> bool:
    """Whether a cell of :func:`rows` is missing (NaN)."""
    return isinstance(value, float) and math.isnan(value)


def _kind(cells: list[str]) -> str:
    """The type pandas infers for a column: the narrowest one every present cell parses as."""
    present = [c for c in cells if c not in _NA]
    if present and all(c.lower() in _BOOLS for c in present):
        return "bool"
    if all(_INT.match(c) for c in present):
        return "int"
    if all(_FLOAT.match(c) for c in present):
        return "float"
    return "str"


def _cast(cell: str, kind: str, has_missing: bool):
    if cell in _NA:
        return math.nan
    if kind == "bool":
        return _BOOLS[cell.lower()]
    if kind == "int":
        return float(cell) if has_missing else int(cell)
    if kind == "float":
        return float(cell)
    return cell


def typed_rows(lines, *, as_str: bool = False) -> tuple:
    """CSV text (an iterable of lines, header first) as read-only dicts, typed as pandas types them (§30.8).

    ``as_str=True`` keeps every present cell a string, as ``read_csv(..., dtype=str)`` does.
    """
    table = list(csv.reader(lines))
    header, body = table[0], [r for r in table[1:] if r]
    columns = {h: [r[i] if i < len(r) else "" for r in body] for i, h in enumerate(header)}
    kinds = {h: "str" if as_str else _kind(cells) for h, cells in columns.items()}
    gaps = {h: any(c in _NA for c in cells) for h, cells in columns.items()}
    typed = [{h: _cast(columns[h][j], kinds[h], gaps[h]) for h in header} for j in range(len(body))]
    return tuple(MappingProxyType(r) for r in typed)


@functools.lru_cache(maxsize=None)
def rows(name: str, *, as_str: bool = False) -> tuple:
    """The rows of ``costlib/data/<name>``, read once: see :func:`typed_rows` (§30.8)."""
    with resources.files("costlib.data").joinpath(name).open("r", encoding="utf-8", newline="") as fh:
        return typed_rows(fh, as_str=as_str)


def frame(name: str, **read_csv_kwargs):
    """``costlib/data/<name>`` as a new pandas DataFrame (the tables notebooks show) (§30.8)."""
    import pandas as pd

    with resources.files("costlib.data").joinpath(name).open("r", encoding="utf-8") as fh:
        return pd.read_csv(fh, **read_csv_kwargs)

"""The standard-library CSV reader of the catalogs (costlib.common.csvdata) against pandas.

The calculator's lookups read costlib/data/*.csv without pandas, so that the app kernel never
loads it; pandas.read_csv, an independent reader, must see the same cells with the same types.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from costlib.common import csvdata

DATA_DIR = Path(__file__).resolve().parents[1] / "costlib" / "data"
CSV_NAMES = sorted(p.name for p in DATA_DIR.glob("*.csv"))


def kind_of(value) -> type:
    """bool, int, float or str, whether the cell is a Python or a numpy scalar."""
    for kind, types in ((bool, (bool, np.bool_)), (int, (int, np.integer)), (float, (float, np.floating)),
                        (str, (str,))):
        if isinstance(value, types):
            return kind
    raise AssertionError(f"unexpected cell type {type(value)!r}: {value!r}")


def assert_same_cells(ours: tuple, theirs: list[dict], name: str) -> None:
    assert len(ours) == len(theirs), name
    assert len(ours) > 0, name
    for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        assert list(a) == list(b), f"{name}: columns differ"
        for col in b:
            x, y = a[col], b[col]
            where = f"{name} row {i} column {col}: ours {x!r}, pandas {y!r}"
            if isinstance(y, float) and math.isnan(y):
                assert csvdata.is_missing(x), where
                continue
            assert kind_of(x) is kind_of(y), where
            assert x == y, where


@pytest.mark.parametrize("name", CSV_NAMES)
def test_rows_match_pandas_read_csv(name):
    theirs = pd.read_csv(DATA_DIR / name).to_dict("records")
    assert_same_cells(csvdata.rows(name), theirs, name)
    text = pd.read_csv(DATA_DIR / name, dtype=str).to_dict("records")
    assert_same_cells(csvdata.rows(name, as_str=True), text, name)


def test_typing_follows_pandas_on_a_small_file(tmp_path):
    # every case the catalogs could grow into: an int column with a gap turns float, bools, a
    # missing string, and numbers pandas does not take for numbers (a leading zero stays an int)
    text = ("a,b,c,d,e,f\n"
            "1,2.5,true,x,007,1e3\n"
            ",3,FALSE,,8,-inf\n"
            "3,,True,NA,9,.5\n")
    (tmp_path / "t.csv").write_text(text, encoding="utf-8")
    theirs = pd.read_csv(tmp_path / "t.csv").to_dict("records")
    ours = csvdata.typed_rows(text.splitlines(keepends=True))
    assert_same_cells(ours, theirs, "t.csv")
    assert ours[0]["a"] == 1.0 and isinstance(ours[0]["a"], float)  # by hand: the gap makes it float
    assert ours[0]["e"] == 7 and ours[1]["c"] is False


def test_rows_are_read_only():
    row = csvdata.rows("gpus.csv")[0]
    with pytest.raises(TypeError):
        row["id"] = "x"  # type: ignore[index]

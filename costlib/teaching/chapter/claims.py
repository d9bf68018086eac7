"""The chapter's claims table: build, look up, count and render the judged rows (§30.1-§30.11)."""
from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from costlib.common.fmt import SHORT_FROM_10K, count
from costlib.teaching.chapter import rows_early, rows_late
from costlib.teaching.chapter.inputs import unknown_name
from costlib.teaching.chapter.verdicts import COLUMNS, VERDICTS, Recorder, claim_data

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["claims", "claim", "claim_ids", "claims_markdown", "verdict_counts",
           "format_claim_number", "format_chapter_figure"]


@functools.lru_cache(maxsize=1)
def _table() -> pd.DataFrame:
    import pandas as pd  # here, not at the top: importing this module (cl.check does) loads no pandas

    rows: list = []
    data = claim_data()
    for section, build in rows_early.BUILDERS + rows_late.BUILDERS:
        build(Recorder(rows, section, data))
    df = pd.DataFrame(rows, columns=COLUMNS)
    dup = df["id"][df["id"].duplicated()].tolist()
    if dup:
        raise RuntimeError(f"duplicate claim ids: {dup}")
    missing = [i for i in data if i not in set(df["id"])]
    if missing:
        raise RuntimeError(f"claims with data but no re-derivation: {missing}")
    order = {i: n for n, i in enumerate(data)}
    if list(df["id"]) != sorted(df["id"], key=order.__getitem__):
        raise RuntimeError("the claim rows are not in the order of chapter_claims.yaml")
    return df


# ---------------------------------------------------------------- public access

def claims(section=None) -> pd.DataFrame:
    """Every numeric claim of the chapter re-derived with costlib and judged (§30.1-§30.11).

    ``section`` may be "30.8", "§30.8" or "CQ4". Columns: see ``COLUMNS`` and the module docstring.
    """
    df = _table().copy()
    if section is None:
        return df
    if not isinstance(section, str):
        raise ValueError(f"section must be a string such as '30.8' or 'CQ4', got {section!r}")
    key = section.strip()
    key = key if key.startswith(("§", "CQ")) else f"§{key}"
    valid = list(dict.fromkeys(df["section"]))
    if key not in valid:
        raise unknown_name("section", section, valid)
    return df[df["section"] == key].reset_index(drop=True)


def claim_ids() -> list:
    """The ids of all claims, in chapter order (§30.1-§30.11)."""
    return list(_table()["id"])


def claim(id_) -> dict:
    """One claim as a dict, e.g. ``claim("s30_6_prefill_tokens_per_hour")`` (§30.1-§30.11)."""
    df = _table()
    hit = df[df["id"] == id_] if isinstance(id_, str) else df.iloc[:0]
    if hit.empty:
        raise unknown_name("claim id", id_, df["id"], f"claim_ids() lists all {len(df)}.")
    return hit.iloc[0].to_dict()


def verdict_counts() -> pd.Series:
    """How many claims got each verdict, in the order of ``VERDICTS`` (§30.1-§30.11)."""
    return _table()["verdict"].value_counts().reindex(list(VERDICTS), fill_value=0)


def format_claim_number(x: float) -> str:
    """A claim's number to 3 significant figures with k/M/B/T suffixes (k from 10,000) (§30.1-§30.11)."""
    return count(x, SHORT_FROM_10K, whole_from=100, nonfinite_as_text=True)


def format_chapter_figure(row) -> str:
    """The chapter's figure of a claims row: one number or a low-high range (§30.1-§30.11)."""
    if row["chapter_low"] != row["chapter_high"]:
        return f"{format_claim_number(row['chapter_low'])}-{format_claim_number(row['chapter_high'])}"
    return format_claim_number(row["chapter_value"])


def claims_markdown(section=None, why: bool = True, verdicts=None) -> str:
    """The claims table as markdown, numbers to 3 significant figures, ``$`` escaped for Jupyter (§30.1-§30.11).

    ``verdicts`` keeps only rows with these verdicts, e.g. ``("wrong", "physically impossible")``.
    """
    df = claims(section)
    if verdicts is not None:
        keep = [verdicts] if isinstance(verdicts, str) else list(verdicts)
        for vd in keep:
            if vd not in VERDICTS:
                raise ValueError(f"verdicts must be among {', '.join(VERDICTS)}; got {vd!r}")
        df = df[df["verdict"].isin(keep)]
    head = ["id", "section", "claim", "chapter", "recomputed", "unit", "verdict"]
    head += ["why"] if why else []
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for _, r in df.iterrows():
        cells = [f"`{r['id']}`", r["section"], r["claim"], format_chapter_figure(r),
                 format_claim_number(r["recomputed_value"]), r["unit"], f"**{r['verdict']}**"]
        cells += [r["why"]] if why else []
        lines.append("| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines).replace("$", r"<span>\$</span>")  # never typeset as LaTeX

"""Dollar signs in markdown that JupyterLab, Voilà and the book (myst) all show as text.

Usage: python tools/dollars.py [--fix] FILE...   (.ipynb: markdown cells and markdown/HTML outputs;
                                                  .py: py:percent markdown cells; .md: the whole file)

Why a house style is needed: JupyterLab (and Voilà, which uses its renderers) first hides every
unescaped ``$…$`` pair from the markdown parser as math, and then runs MathJax over the rendered
page, which typesets any two ``$`` that end up in the same run of text, escaped in the source or
not. So ``\\$3/hour vs \\$10/M`` turns into italic math in JupyterLab, while ``\\\\$`` (which
JupyterLab needs) shows a stray backslash in myst. The one form that renders as a plain "$"
everywhere is an escaped dollar alone in its own element:

    <span>\\$</span>3/hour

(the escape keeps it out of the math pass; the span keeps MathJax from pairing it with another
dollar). Real math ($W$, $$…$$, ``\\$`` inside math) and code are left alone. ``--fix`` rewrites
currency dollars into that form; without it the script lists them and exits 1 if any is found.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

DOLLAR = r"<span>\$</span>"  # the house form of a currency dollar in markdown
_FENCE = re.compile(r"^( {0,3})(```+|~~~+)")
_CODE_SPAN = re.compile(r"(`+)(?:.|\n)*?[^`]\1(?!`)|(`+)[^`]\2(?!`)")
_COMMENT = re.compile(r"<!--.*?-->", re.S)
# commands whose argument is text, not math: words inside them are fine
_TEXT_ARG = re.compile(r"\\(?:text|mathrm|textrm|textbf|textit|operatorname|mbox|mathit)\s*\{[^{}]*\}")


def _protected_spans(text: str) -> list[tuple[int, int]]:
    """Index ranges of fenced code, code spans, HTML comments and house-form dollars."""
    spans: list[tuple[int, int]] = []
    pos, fence = 0, None
    for line in text.splitlines(keepends=True):
        m = _FENCE.match(line)
        if fence is None and m:
            fence, start = m.group(2)[0] * 3, pos
        elif fence is not None and line.strip().startswith(fence):
            spans.append((start, pos + len(line)))
            fence = None
        pos += len(line)
    if fence is not None:
        spans.append((start, len(text)))
    for rx in (_CODE_SPAN, _COMMENT, re.compile(re.escape(DOLLAR))):
        spans += [m.span() for m in rx.finditer(text)]
    return spans


def is_math(content: str) -> bool:
    """Whether the text between two dollars reads as TeX (``W``, ``B\\,C\\,k``) rather than prose."""
    if not content or content != content.strip():
        return False  # "$3/hour against $": TeX math never starts or ends with a space
    bare = _TEXT_ARG.sub("", content)
    bare = re.sub(r"\\[A-Za-z]+", " ", bare)  # \frac, \times ... are not words
    if re.search(r"[A-Za-z]{3,}", bare):
        return False  # an English word outside \text{}: a currency pair, not an equation
    return bool(re.search(r"[\\^_{}=]", content)) or len(content) <= 3


def scan(text: str) -> list[tuple[int, int, str]]:
    """Currency dollars not in the house form: (start, end, kind) with kind 'escaped' or 'bare'."""
    prot = _protected_spans(text)
    inside = bytearray(len(text) + 1)
    for a, b in prot:
        inside[a:b] = b"\x01" * (b - a)
    found: list[tuple[int, int, str]] = []
    i, n = 0, len(text)
    while i < n:
        if inside[i] or text[i] not in "\\$":
            i += 1
            continue
        if text.startswith("\\\\", i):  # an escaped backslash
            i += 2
            continue
        if text.startswith("\\$", i):
            found.append((i, i + 2, "escaped"))
            i += 2
            continue
        if text[i] == "\\":
            i += 1
            continue
        if text.startswith("$$", i):  # display math: skip to its end
            end = text.find("$$", i + 2)
            i = n if end < 0 else end + 2
            continue
        # a bare "$": math if a closing "$" in the same paragraph encloses something TeX-like
        para_end = _paragraph_end(text, i)
        j = i + 1
        close = -1
        while j < para_end:
            if inside[j]:
                j += 1
            elif text.startswith("\\\\", j) or text.startswith("\\$", j):
                j += 2
            elif text[j] == "$":
                close = j
                break
            else:
                j += 1
        if close > 0 and not text.startswith("$$", close) and is_math(text[i + 1:close]):
            i = close + 1
            continue
        found.append((i, i + 1, "bare"))
        i += 1
    return found


def _paragraph_end(text: str, i: int) -> int:
    m = re.compile(r"\n[ \t]*\n").search(text, i)
    return m.start() if m else len(text)


def fix(text: str) -> str:
    """``text`` with every currency dollar in the house form."""
    out, last = [], 0
    for a, b, _ in scan(text):
        out += [text[last:a], DOLLAR]
        last = b
    return "".join(out) + text[last:]


def problems(text: str) -> list[str]:
    """Each currency dollar that JupyterLab or myst could typeset as math, with its context."""
    return [f"{kind} $ in ...{text[max(0, a - 30):b + 30]!r}..." for a, b, kind in scan(text)]


class _TextRuns(HTMLParser):
    """Runs of text MathJax reads as one string (only <br>, <wbr> and comments join them)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.runs, self._cur, self._skip = [], [], 0

    def _cut(self):
        if self._cur:
            self.runs.append("".join(self._cur))
        self._cur = []

    def handle_starttag(self, tag, attrs):
        if tag in ("style", "script", "code", "pre"):
            self._skip += 1
        if tag not in ("br", "wbr"):
            self._cut()

    def handle_endtag(self, tag):
        if tag in ("style", "script", "code", "pre"):
            self._skip = max(0, self._skip - 1)
        self._cut()

    def handle_data(self, data):
        if not self._skip:
            self._cur.append(data)


def html_problems(html: str) -> list[str]:
    """Text runs of an HTML output holding two or more dollars (MathJax would pair them)."""
    p = _TextRuns()
    p.feed(html)
    p.close()
    p._cut()
    return [f"two $ in one run of HTML text: {r.strip()[:80]!r}" for r in p.runs if r.count("$") >= 2]


def _py_markdown_cells(lines: list[str]):
    """(first, last) line indexes of the bodies of py:percent markdown cells."""
    start = None
    for k, line in enumerate(lines + ["# %%"]):
        if line.startswith("# %%"):
            end = k
            while start is not None and end > start and lines[end - 1] == "":
                end -= 1  # the blank line between cells belongs to no cell
            if start is not None:
                yield start, end
            start = k + 1 if "[markdown]" in line else None


def check_file(path: Path, write: bool = False) -> list[str]:
    """Problems of one .ipynb, py:percent .py or .md file; with ``write`` fix markdown in place."""
    path = Path(path)
    found: list[str] = []
    if path.suffix == ".ipynb":
        nb = json.loads(path.read_text(encoding="utf-8"))
        changed = False
        for k, cell in enumerate(nb["cells"]):
            src = "".join(cell["source"])
            if cell["cell_type"] == "markdown":
                found += [f"{path}: cell {k}: {p}" for p in problems(src)]
                if write and fix(src) != src:
                    cell["source"] = _as_lines(fix(src))
                    changed = True
            for out in cell.get("outputs", []):
                data = out.get("data", {})
                if "text/markdown" in data:
                    md = "".join(data["text/markdown"])
                    found += [f"{path}: cell {k} markdown output: {p}" for p in problems(md)]
                    if write and fix(md) != md:
                        data["text/markdown"] = _as_lines(fix(md))
                        changed = True
                if "text/html" in data:
                    found += [f"{path}: cell {k} HTML output: {p}"
                              for p in html_problems("".join(data["text/html"]))]
        if changed:
            path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        return found
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".md":
        found += [f"{path}: {p}" for p in problems(text)]
        if write and fix(text) != text:
            path.write_text(fix(text), encoding="utf-8")
        return found
    lines = text.split("\n")
    for a, b in _py_markdown_cells(lines):
        body = "\n".join(ln[2:] if ln.startswith("# ") else ln.lstrip("#") for ln in lines[a:b])
        found += [f"{path}:{a + 1}: {p}" for p in problems(body)]
        if write and fix(body) != body:
            lines[a:b] = [f"# {ln}" if ln else "#" for ln in fix(body).split("\n")]
    if write:
        path.write_text("\n".join(lines), encoding="utf-8")
    return found


def _as_lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="+", type=Path)
    ap.add_argument("--fix", action="store_true", help="rewrite currency dollars in place")
    a = ap.parse_args(argv)
    found = [p for f in a.files for p in check_file(f, write=a.fix)]
    if a.fix:
        found = [p for f in a.files for p in check_file(f)]
    print("\n".join(found) or "no currency dollar outside the house form")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())

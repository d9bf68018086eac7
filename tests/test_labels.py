"""Charts and controls name things as people do, never by catalog id (#17 item 4)."""
import pytest

from costlib.catalog.tables import api_ids, api_name
from costlib.common import fmt
from costlib.ui.widgets.chapter_explorers import short_claim


def test_api_names_come_from_the_catalog_columns():
    assert api_name("together-llama-3.3-70b") == "Together AI · Llama 3.3 70B Instruct Turbo"
    assert api_name("gpt-4o-mini") == "OpenAI · GPT-4o mini"
    assert all(api_name(a) != a for a in api_ids())  # no id is its own name


@pytest.mark.parametrize(("tier", "name"), [("on_demand", "On-demand"), ("bare_metal", "Bare metal"),
                                            ("reserved", "Reserved"), ("spot", "Spot"), ("owned", "Owned")])
def test_tier_names(tier, name):
    assert fmt.tier_name(tier) == name


def test_claim_labels_are_cut_at_a_word():
    text = "self-hosted 70B vs GPT-4o output price, ratio"
    assert short_claim(text, 100) == text
    cut = short_claim(text, 20)
    assert cut == "self-hosted 70B vs…" and len(cut) <= 20
    # the cut never ends on a comma
    assert short_claim("1,000 tokens/s sustained for an hour, in millions", 40) == "1,000 tokens/s sustained for an hour…"


def _texts(ax):
    legend = ax.get_legend()
    yield from (("legend", t) for t in (legend.get_texts() if legend else []))
    yield from (("tick label", t) for t in ax.get_xticklabels() + ax.get_yticklabels())
    yield from (("axis label", t) for t in (ax.xaxis.label, ax.yaxis.label))
    yield from (("text", t) for t in ax.texts)


@pytest.fixture(scope="module")
def opened():
    """Every explorer, lever and the calculator as it opens, by name (built once for this module's tests)."""
    import matplotlib

    matplotlib.use("Agg")
    from costlib.ui import lever_widgets, widgets
    from costlib.ui.app import calculator_app

    makers = {**widgets.EXPLORERS, "calculator": calculator_app,
              **{n: getattr(lever_widgets, n) for n in ("prefix_lever", "speculative_lever", "energy_lever",
                                                          "tornado_lever")}}
    return {name: make() for name, make in makers.items()}


def test_every_explorer_writes_people_s_names_at_9_pt_or_more(opened):
    """#17 items 4 and 7: legends and labels >= 9 pt and no API or model id, in every explorer and lever as it opens."""
    from costlib.catalog.tables import model_ids

    texts = [(name, kind, t) for name, ex in opened.items() for ax in ex.fig.axes
             for kind, t in _texts(ax) if t.get_text()]
    small = [(name, kind, t.get_fontsize(), t.get_text()[:30]) for name, kind, t in texts if t.get_fontsize() < 9]
    assert not small, small
    ids = (*api_ids(), *model_ids())
    named = [(name, kind, t.get_text()[:40]) for name, kind, t in texts if any(i in t.get_text() for i in ids)]
    assert not named, named


def test_every_catalog_dropdown_shows_names_and_keeps_ids(opened):
    """#17 item 4: a dropdown of models, GPUs, precisions or tiers shows "Llama 3.1 70B", "H100 SXM", "FP8",
    "On-demand" and keeps the catalog id as its value, in every explorer, lever and the calculator."""
    import ipywidgets as w

    from costlib.catalog.tables import PRECISIONS, gpu_ids, model_ids

    ids = {*model_ids(), *gpu_ids(), *PRECISIONS, "on_demand", "bare_metal"}
    seen = set()
    for name, ex in opened.items():
        for key, c in ex.controls.items():
            if not isinstance(c, w.Dropdown):
                continue
            for label, value in (o if isinstance(o, tuple) else (o, o) for o in c.options):
                if value in ids:
                    seen.add((name, value))
                    its_own_name = "-" not in value and "_" not in value and value == value.upper()  # "B200"
                    assert label != value or its_own_name, f"{name}.{key} shows the id {value!r}"
    assert {("calculator", "fp8"), ("throughput_explorer", "bf16"), ("hardware_explorer", "on_demand"),
            ("throughput_explorer", "H100-SXM"), ("throughput_explorer", "llama-3.1-70b")} <= seen
    assert dict(opened["throughput_explorer"].controls["weights"].options)["FP8"] == "fp8"

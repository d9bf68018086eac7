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


def test_every_explorer_writes_people_s_names_at_9_pt_or_more():
    """#17 items 4 and 7: legends and labels >= 9 pt and no API or model id, in every explorer and lever as it opens."""
    import matplotlib

    matplotlib.use("Agg")
    from costlib.catalog.tables import model_ids
    from costlib.ui import lever_widgets, widgets

    makers = {**widgets.EXPLORERS, **{n: getattr(lever_widgets, n) for n in
                                      ("prefix_lever", "speculative_lever", "energy_lever", "tornado_lever")}}
    texts = [(name, kind, t) for name, make in makers.items() for ax in make().fig.axes
             for kind, t in _texts(ax) if t.get_text()]
    small = [(name, kind, t.get_fontsize(), t.get_text()[:30]) for name, kind, t in texts if t.get_fontsize() < 9]
    assert not small, small
    ids = (*api_ids(), *model_ids())
    named = [(name, kind, t.get_text()[:40]) for name, kind, t in texts if any(i in t.get_text() for i in ids)]
    assert not named, named


def test_every_catalog_dropdown_shows_names_and_keeps_ids():
    """#17 item 4: a dropdown of models, GPUs, precisions or tiers shows "Llama 3.1 70B", "H100 SXM", "FP8",
    "On-demand" and keeps the catalog id as its value, in every explorer and in the calculator."""
    import ipywidgets as w
    import matplotlib

    matplotlib.use("Agg")
    from costlib.catalog.tables import PRECISIONS, gpu_ids, model_ids
    from costlib.ui import widgets
    from costlib.ui.app import calculator_app

    ids = {*model_ids(), *gpu_ids(), *PRECISIONS, "on_demand", "bare_metal"}
    seen = set()
    for name, build in [*widgets.EXPLORERS.items(), ("calculator", calculator_app)]:
        ex = build()
        for key, c in getattr(ex, "controls", {}).items():
            if not isinstance(c, w.Dropdown):
                continue
            for label, value in (o if isinstance(o, tuple) else (o, o) for o in c.options):
                if value in ids:
                    seen.add(value)
                    its_own_name = "-" not in value and "_" not in value and value == value.upper()  # "B200"
                    assert label != value or its_own_name, f"{name}.{key} shows the id {value!r}"
    assert {"fp8", "bf16", "H100-SXM", "llama-3.1-70b", "on_demand"} <= seen  # the walk reached every kind
    assert dict(widgets.EXPLORERS["throughput_explorer"]().controls["weights"].options)["FP8"] == "fp8"

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

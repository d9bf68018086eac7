# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py//py:percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Drill 15 · Prefix caching on an API's price sheet
#
# *Interview drill 15 (§30.5): what a cached prompt prefix really costs.*
#
# **Problem.** A RAG assistant runs on Claude Sonnet. Each prompt is a 10,000-token document prefix
# plus the user's question, 12,000 tokens in all. The provider's prompt cache keeps the prefix
# between requests: 9 requests in 10 read it from the cache, the other one writes it. What is the
# average price per million prompt tokens?
#
# **Assumptions.** Prices from the catalog (`api_prices.csv`, the provider's pricing page):
# input, cache hits and 5-minute cache writes; no batch API.
#
# **Give** `answer`: the blended <span>\$</span> per million prompt tokens. `cl.check("d15", answer)` accepts
# answers within 2%.

# %%
import costlib as cl
from costlib.teaching.questions_levers import D15

sheet = cl.api_billing(D15.api)
print(f"{sheet.id}: input ${sheet.usd_per_million_input}/M, cache hits ${sheet.usd_per_million_cached_input}/M, "
      f"cache writes ${sheet.usd_per_million_cache_write}/M ({sheet.source})")
D15

# %% [markdown]
# <!-- BEGIN SOLUTION -->
# **Solution.** Work in shares of prompt *tokens*: only the prefix can be cached, so hits are
# 0.9 × 10,000 / 12,000 of the tokens and writes 0.1 × 10,000 / 12,000; the question is plain
# input. Each share is billed at its own price, and cached tokens are cheaper, not free.
# <!-- END SOLUTION -->

# %%
# BEGIN SOLUTION
prefix_share = D15.prefix_tokens / D15.prompt_tokens
hits = D15.requests_that_hit * prefix_share
writes = (1 - D15.requests_that_hit) * prefix_share
answer = ((1 - hits - writes) * sheet.usd_per_million_input + hits * sheet.usd_per_million_cached_input
          + writes * sheet.usd_per_million_cache_write)
print(f"hits {hits:.1%}, writes {writes:.1%}, plain {1 - hits - writes:.1%} of prompt tokens -> ${answer:.3f}/M")
assert abs(answer - cl.api_usd_per_million_input(D15.api, hits, writes)) < 1e-12
# END SOLUTION

# %%
cl.check("d15", answer)

# %% [markdown]
# **What if...** (optional) With the batch API on top, and at what hit rate does the cache stop
# paying for its writes?

# %%
# BEGIN SOLUTION
print(f"with the batch API: ${cl.api_usd_per_million_input(D15.api, hits, writes, batch=True):.3f}/M")
for hit in (0.0, 0.05, 0.1, 0.5):
    h, w = hit * prefix_share, (1 - hit) * prefix_share
    print(f"{hit:.0%} of requests hit: ${cl.api_usd_per_million_input(D15.api, h, w):.3f}/M "
          f"(no cache: ${sheet.usd_per_million_input:.2f}/M)")
# END SOLUTION

# %% [markdown]
# <!-- BEGIN SOLUTION -->
# A write costs more than plain input, so a prefix that is written and never read again costs
# extra; one hit in ten already more than pays for the writes. Notebook 12 shows the same billing
# grammar against a self-hosted deployment as the hit rate grows.
# <!-- END SOLUTION -->

# %% [markdown]
# ## Takeaways
#
# - Bill a prompt in parts: plain input, cache hits, cache writes, each at its own price.
# - Hit rates are shares of prompt tokens, not of requests: only the shared prefix can be cached.
# - Cached input is cheaper, never free; writes can cost more than plain input.

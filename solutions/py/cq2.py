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
# # Concept check 2 · Why utilization decides self-host vs API
#
# *Chapter 30, concept check 2 (§30.4, §30.7).*
#
# **Question.** Why does self-hosting a large model beat API prices only when its GPUs are
# highly utilized?

# %% [markdown]
# Pick an option in the widget below: it tells you at once whether you are right and, if not,
# what mistake that option represents. Or set `answer` to a letter and run the check cell.

# %%
import costlib as cl
from costlib.teaching.grading import get_question
from costlib.teaching.questions_practice import CQ2
from costlib.ui.quiz import choice_widget

choice_widget("cq2")

# %% [markdown]
# <!-- BEGIN SOLUTION -->
# **Solution.** A rented or owned GPU costs the same every hour, busy or idle, while an API bills
# only tokens you use. Your cost per token is the hourly cost divided by the tokens actually
# served, so it scales as one over the utilization:
# <!-- END SOLUTION -->

# %%
# BEGIN SOLUTION
full_load = cl.usd_per_million_tokens(CQ2.usd_per_hour, CQ2.tokens_per_s)
for u in CQ2.utilizations:
    print(f"utilization {u:4.0%}: ${cl.cost_at_utilization(full_load, u):.2f} per million tokens")
answer = "c"
# END SOLUTION

# %%
cl.check("cq2", answer)

# %% [markdown]
# <!-- BEGIN SOLUTION -->
# **All four options, with the mistake behind each wrong one** (the same explanations the widget
# and `cl.check` give):
# <!-- END SOLUTION -->

# %%
# BEGIN SOLUTION
for option in get_question("cq2").options:
    mark = "✓" if option.correct else "✗"
    print(f"({option.key}) {mark} {option.text}\n    {option.why}")
# END SOLUTION

# %% [markdown]
# ## Takeaways
#
# - An idle GPU still costs its hourly price: self-hosted <span>\$</span>/M grows as 1 ÷ utilization.
# - An API has no idle cost for you; its provider pools many customers to stay busy.
# - Compare prices at your realistic utilization, not at full load.

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
# # Concept check 1 · The cost of a million tokens
#
# *Chapter 30, concept check 1 (§30.1).*
#
# **Question.** A 70B model runs on one H100 that costs <span>\$</span>3 an hour and sustains 1,000 tokens/s
# in total. What does a million output tokens cost?

# %% [markdown]
# Pick an option in the widget below: it tells you at once whether you are right and, if not,
# what mistake that option represents. Or set `answer` to a letter and run the check cell.

# %%
import costlib as cl
from costlib.teaching.grading import get_question
from costlib.teaching.questions_practice import CQ1
from costlib.ui.quiz import choice_widget

choice_widget("cq1")

# %% [markdown]
# <!-- BEGIN SOLUTION -->
# **Solution.** Convert the rate to millions of tokens per hour, divide the hourly price by it,
# and pick the option that matches.
# <!-- END SOLUTION -->

# %%
# BEGIN SOLUTION
usd = cl.usd_per_million_tokens(CQ1.usd_per_hour, CQ1.tokens_per_s)
print(f"${CQ1.usd_per_hour:g} / {cl.million_tokens_per_hour(CQ1.tokens_per_s):g}M tokens "
      f"= ${usd:.2f} per million tokens")
answer = next(o.key for o in get_question("cq1").options if f"${usd:.2f}" in o.text)
answer
# END SOLUTION

# %%
cl.check("cq1", answer)

# %% [markdown]
# <!-- BEGIN SOLUTION -->
# A caution about the premise, which comes from the chapter: a 70B model in bf16 does not fit on
# one H100, so this price describes a configuration that cannot run (see `solutions/p3.ipynb`).
# The arithmetic is what this question tests.
# <!-- END SOLUTION -->

# %%
# BEGIN SOLUTION
print(cl.fit(cl.deployment("llama-3.1-70b", "H100-SXM"), context=2048).message)
# END SOLUTION

# %% [markdown]
# <!-- BEGIN SOLUTION -->
# **All four options, with the mistake behind each wrong one** (the same explanations the widget
# and `cl.check` give):
# <!-- END SOLUTION -->

# %%
# BEGIN SOLUTION
for option in get_question("cq1").options:
    mark = "✓" if option.correct else "✗"
    print(f"({option.key}) {mark} {option.text}\n    {option.why}")
# END SOLUTION

# %% [markdown]
# ## Takeaways
#
# - <span>\$</span>/M = <span>\$</span> per hour ÷ (tokens/s × 3,600 ÷ 10⁶). Each wrong option is one unit slip:
#   multiplying instead of dividing, minutes instead of hours, thousands instead of millions.
# - Sanity-check the premise (does the model fit?) before trusting a price.

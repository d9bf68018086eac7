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
# # Concept check 3 · What limits memory-bound decode
#
# *Chapter 30, concept check 3 (§30.3).*
#
# **Question.** When decode is memory-bound, which hardware parameter most directly sets the
# maximum tokens per second for a given model?

# %% [markdown]
# Pick an option in the widget below: it tells you at once whether you are right and, if not,
# what mistake that option represents. Or set `answer` to a letter and run the check cell.

# %%
import costlib as cl
from costlib.teaching.grading import get_question
from costlib.teaching.questions_practice import CQ3
from costlib.ui.quiz import choice_widget

choice_widget("cq3")

# %% [markdown]
# <!-- BEGIN SOLUTION -->
# **Solution.** Each decode step must stream all the weights (and the KV cache) from HBM. At
# small batches the arithmetic per byte read is tiny compared with what the tensor cores could
# do, so the step time is bytes ÷ bandwidth. Compare the arithmetic intensity of a decode step
# with the intensity an H100 needs to become compute-bound:
# <!-- END SOLUTION -->

# %%
# BEGIN SOLUTION
dep = cl.deployment(CQ3.model, CQ3.gpu)
gpu = cl.get_gpu(CQ3.gpu)
ridge = gpu.flops_for("bf16") / gpu.hbm_bytes_per_s
for batch in CQ3.batches:
    ai = float(cl.arithmetic_intensity(dep, batch, CQ3.context))
    print(f"batch {batch:3d}: {ai:6.1f} FLOP/byte "
          f"(compute-bound above {ridge:.0f})")
answer = "a"
# END SOLUTION

# %%
cl.check("cq3", answer)

# %% [markdown]
# <!-- BEGIN SOLUTION -->
# **All four options, with the mistake behind each wrong one** (the same explanations the widget
# and `cl.check` give):
# <!-- END SOLUTION -->

# %%
# BEGIN SOLUTION
for option in get_question("cq3").options:
    mark = "✓" if option.correct else "✗"
    print(f"({option.key}) {mark} {option.text}\n    {option.why}")
# END SOLUTION

# %% [markdown]
# ## Takeaways
#
# - Memory-bound decode: tokens/s ≤ HBM bandwidth × batch ÷ bytes read per step.
# - FLOP/s bound prefill; capacity bounds what fits and the batch; NVLink only matters for TP.

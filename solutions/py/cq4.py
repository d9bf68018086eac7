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
# # Concept check 4 · H200 vs H100 for decode
#
# *Chapter 30, concept check 4 (§30.8).*
#
# **Question.** An H200 has 4.8 TB/s of HBM bandwidth, an H100 3.35 TB/s. All else being equal,
# by about what factor does the H200 raise the maximum decode throughput of the same model?

# %% [markdown]
# Pick an option in the widget below: it tells you at once whether you are right and, if not,
# what mistake that option represents. Or set `answer` to a letter and run the check cell.

# %%
import costlib as cl
from costlib.teaching.grading import get_question
from costlib.teaching.questions_practice import CQ4
from costlib.ui.quiz import choice_widget

choice_widget("cq4")

# %% [markdown]
# <!-- BEGIN SOLUTION -->
# **Solution.** Memory-bound decode throughput is proportional to bandwidth (the chapter's ceiling
# is bandwidth ÷ model bytes × batch), so the factor is the bandwidth ratio. Check it with the
# ceiling formula for one model:
# <!-- END SOLUTION -->

# %%
# BEGIN SOLUTION
new, old = cl.get_gpu(CQ4.new_gpu), cl.get_gpu(CQ4.old_gpu)
model_bytes = cl.weight_bytes(CQ4.model, "bf16")
ratio = (cl.decode_ceiling_tokens_per_s(new.hbm_bytes_per_s, model_bytes)
         / cl.decode_ceiling_tokens_per_s(old.hbm_bytes_per_s, model_bytes))
print(f"{new.hbm_tb_per_s:g} / {old.hbm_tb_per_s:g} TB/s -> decode ceiling x{ratio:.2f}")
answer = next(o.key for o in get_question("cq4").options if f"{ratio:.2f}x" in o.text)
answer
# END SOLUTION

# %%
cl.check("cq4", answer)

# %% [markdown]
# <!-- BEGIN SOLUTION -->
# The H200's larger memory is a separate lever: more room for KV cache allows bigger batches,
# which raises tokens per GPU-hour beyond the bandwidth ratio (see the hardware comparison in the
# workbook's notebooks).
# <!-- END SOLUTION -->

# %% [markdown]
# <!-- BEGIN SOLUTION -->
# **All four options, with the mistake behind each wrong one** (the same explanations the widget
# and `cl.check` give):
# <!-- END SOLUTION -->

# %%
# BEGIN SOLUTION
for option in get_question("cq4").options:
    mark = "✓" if option.correct else "✗"
    print(f"({option.key}) {mark} {option.text}\n    {option.why}")
# END SOLUTION

# %% [markdown]
# ## Takeaways
#
# - Same model, same batch: decode speed scales with HBM bandwidth, nothing else.
# - Memory capacity helps through batch size, a separate (and sometimes larger) effect.
# - Watch the direction of a ratio: faster hardware gives a factor above 1.

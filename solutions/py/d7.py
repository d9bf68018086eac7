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
# # Drill 7 · Which GPUs can hold a 72B model in bf16?
#
# *Interview drill 7 (§30.8): fit before you compare prices.*
#
# **Question.** You want to serve Qwen2.5-72B in bf16 with at least one 8,192-token sequence of
# KV cache (bf16), without tensor parallelism. Which GPUs of the workbook's catalog can hold it on
# a single device?
#
# **Assumptions.** A serving engine may use about 95% of a GPU's HBM minus about 1 GB (costlib's
# default). Parameter counts come from the model's published architecture, not its name.

# %% [markdown]
# Pick an option in the widget: it tells you at once whether you are right and, if not, which
# shortcut that option took. Or set `answer` to a letter and run the check cell.

# %%
import pandas as pd

import costlib as cl
from costlib.teaching.grading import get_question
from costlib.teaching.questions_drills import D7
from costlib.ui.quiz import choice_widget

choice_widget("d7")

# %% [markdown]
# <!-- BEGIN SOLUTION -->
# **Solution.** Compute the weights from the architecture (72.7B parameters × 2 bytes), add one
# sequence of KV cache, and compare with each GPU's *usable* memory: `cl.fit` on one device does
# exactly that (with the weights as the engine stores them), and `cl.min_tp` gives the smallest TP
# that holds it by the same rule.
# <!-- END SOLUTION -->

# %%
# BEGIN SOLUTION
import re

m = cl.get_model(D7.model)
need = cl.weight_bytes(m, D7.weights) + D7.context * cl.kv_bytes_per_token(m, "bf16")
print(f"{m.name}: {m.n_params / 1e9:.1f}B parameters; weights + one {D7.context:,}-token "
      f"sequence = {need / 1e9:.1f} GB")
rows = []
for g in cl.gpu_ids():
    f = cl.fit(cl.deployment(D7.model, g, weights=D7.weights), D7.context, D7.batch)
    rows.append({"gpu": g, "hbm_gb": cl.get_gpu(g).hbm_gb, "usable_gb": round(f.usable_bytes / 1e9, 1),
                 "needed_gb": round(f.needed_bytes / 1e9, 1), "fits_one_gpu": f.fits,
                 "min_tp": cl.min_tp(D7.model, g, D7.weights, context=D7.context, batch=D7.batch)})
table = pd.DataFrame(rows)
print(table.to_string(index=False))
holds = list(table.loc[table["fits_one_gpu"], "gpu"])


def listed(text):
    """The catalog GPUs an option's text names (whole ids only: 'B200' is not 'GB200')."""
    return {g for g in cl.gpu_ids() if re.search(rf"(?<![\w-]){re.escape(g)}(?![\w-])", text)}


answer = next(o.key for o in get_question("d7").options if listed(o.text) == set(holds))
answer
# END SOLUTION

# %%
cl.check("d7", answer)

# %% [markdown]
# **Follow-up.** What is the smallest TP on H100-SXM at 8,192 tokens, and at 32,768? And does
# the chapter's §30.8 advice, "70B in bf16 needs an H200 or two H100s", hold for Llama 3.1 70B?

# %%
# BEGIN SOLUTION
for ctx in (D7.context, 32_768):
    print(f"Qwen2.5-72B bf16 on H100-SXM at {ctx:,} tokens: smallest TP = "
          f"{cl.min_tp(D7.model, 'H100-SXM', D7.weights, context=ctx)}")
print(cl.fit(cl.deployment("llama-3.1-70b", "H200-SXM"), context=2048).message)
# END SOLUTION

# %% [markdown]
# <!-- BEGIN SOLUTION -->
# The printout answers both: the smallest TP on H100s at each context, and how much room a single
# H200 leaves a 70B model in bf16 once its datasheet GB are read as GiB (binary gigabytes, as
# the engine reads them) and 5% plus 1 GB are set aside. "Fits in 141 GB" must be checked
# against usable memory, with the true parameter count, plus the KV cache: a fit with room for
# only a handful of sequences holds the model but cannot serve much traffic.
# <!-- END SOLUTION -->

# %%
# BEGIN SOLUTION
for option in get_question("d7").options:
    mark = "✓" if option.correct else "✗"
    print(f"({option.key}) {mark} {option.text}\n    {option.why}")
# END SOLUTION

# %% [markdown]
# ## Takeaways
#
# - Fit = weights (true parameter count × bytes per parameter) + KV cache ≤ usable memory (about
#   95% of HBM minus ~1 GB), per device or summed over a TP group.
# - Model names round: "72B" is 72.7B parameters, 145 GB in bf16. Datasheet HBM is not usable
#   memory. Either shortcut gets the list wrong.
# - Only the largest single GPUs hold a 70B-class model in bf16 alone; on 80 GB parts it takes
#   TP=2, and more as contexts and batches grow.

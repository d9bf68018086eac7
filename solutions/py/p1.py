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
# # Practice 1 · A million tokens from Llama 3 8B on one H100
#
# *Chapter 30, practice problem 1 (§30.1).*
#
# **Problem.** You rent one H100 for <span>\$</span>2 an hour and serve Llama 3 8B on it. Assume it keeps
# producing 5,000 output tokens per second, all hour long. What does a million output tokens
# cost you?
#
# **Give** `answer`: the cost in dollars per million output tokens. `cl.check("p1", answer)`
# accepts answers within 2%.

# %%
import costlib as cl
from costlib.teaching.questions_practice import ASSUMPTIONS, P1

P1

# %% [markdown]
# **Physics first.** Before pricing a configuration, check that it fits: the weights plus the KV
# cache of at least one sequence must fit in the GPU's usable memory.

# %%
dep = cl.deployment(P1.model, P1.gpu)
print(cl.fit(dep, context=ASSUMPTIONS.context).message)

# %% [markdown]
# <!-- BEGIN SOLUTION -->
# **Solution.** A GPU-hour buys the tokens the GPU makes in that hour. Convert the rate to
# tokens per hour (× 3,600 s), express it in millions (÷ 10⁶), and divide the hourly price by it.
# Convert units once, and only once: most wrong answers here are off by exactly 3,600 or 10⁶.
# <!-- END SOLUTION -->

# %%
# BEGIN SOLUTION
million_tokens_per_hour = cl.million_tokens_per_hour(P1.tokens_per_s)
answer = P1.usd_per_gpu_hour / million_tokens_per_hour
print(f"{P1.tokens_per_s:,g} tokens/s = {million_tokens_per_hour:g}M tokens/hour")
print(f"${P1.usd_per_gpu_hour:g}/hour / {million_tokens_per_hour:g}M tokens/hour = "
      f"${answer:.3f} per million tokens")
# END SOLUTION

# %%
cl.check("p1", answer)

# %% [markdown]
# **Is 5,000 tokens/s plausible?** (optional) The rate is a given of the problem; test it against
# the roofline model of §30.3. At which batch does costlib's decode estimate (middle of the
# chapter's MBU/MFU ranges, 2,048-token contexts) first reach it, and how many sequences fit in
# memory?

# %%
# BEGIN SOLUTION
most = cl.fit(dep, context=ASSUMPTIONS.context).max_batch
batch = next(b for b in range(1, most + 1)
             if cl.decode_tokens_per_s(dep, b, ASSUMPTIONS.context) >= P1.tokens_per_s)
print(f"the estimate reaches {P1.tokens_per_s:,g} tokens/s at batch {batch}; memory holds "
      f"{most} sequences; TPOT there: {cl.tpot_s(dep, batch, ASSUMPTIONS.context) * 1e3:.1f} ms")
# END SOLUTION

# %% [markdown]
# <!-- BEGIN SOLUTION -->
# So the premise is reasonable: an 8B model in bf16 leaves most of the H100 for KV cache, and a
# batch of that size is well inside both the memory limit and a comfortable latency.
# <!-- END SOLUTION -->

# %% [markdown]
# ## Takeaways
#
# - <span>\$</span>/M tokens = <span>\$</span> per hour ÷ millions of tokens per hour. The formula is trivial; the units are
#   where answers go wrong (3,600 s per hour, 10⁶ tokens per million).
# - The price you pay per token is set by throughput: the same <span>\$</span>2 GPU-hour is cheap or dear
#   depending on how many tokens you get out of it.
# - Check a given throughput against memory and the roofline before trusting it.

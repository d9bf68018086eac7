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
# # Drill 18 · The knee: how many requests per second can one replica take?
#
# *Interview drill 18 (§30.4): the largest request rate that keeps the p99 time to first token under a target.*
#
# **Problem.** One replica of Llama 3.1 70B (FP8 weights and KV cache, four H100s) serves requests
# of 2,000 input and 300 output tokens arriving at random (Poisson). costlib's simulation of that
# replica (500 requests per rate, seed 0, calibrated profile) gives the mean and p99 time to first
# token (TTFT) at the rates printed below. What is the largest of those rates whose p99 TTFT stays
# within 400 ms?
#
# **Assumptions.** The latencies as printed (whole ms); only the rates in the table.
#
# **Give** `answer`: requests per second per replica. `cl.check("d18", answer)` accepts answers
# within 2%.

# %%
import costlib as cl
from costlib.teaching.questions_load import D18, TEXT_VALUES

shown = TEXT_VALUES["d18"]()
for rate, mean_ms, p99_ms in shown["d18_rows"]:  # (requests/s, mean TTFT ms, p99 TTFT ms)
    print(f"{rate:g}/s: mean TTFT {mean_ms:,} ms, p99 TTFT {p99_ms:,} ms")
print(f"saturation: {shown['d18_saturation']:.2f} requests/s")
D18

# %% [markdown]
# <!-- BEGIN SOLUTION -->
# **Solution.** A p99 target is met when 99% of the requests get their first token within it, so
# read the p99 column: it grows with the rate, because each request waits in the queue for a KV
# slot and a place in a step before its prefill runs. The knee is the last rate before the p99
# crosses the target, well below the saturation rate where the replica only just keeps up.
# <!-- END SOLUTION -->

# %%
# BEGIN SOLUTION
answer = max(rate for rate, _mean_ms, p99_ms in shown["d18_rows"] if p99_ms <= D18.ttft_p99_target_ms)
print(f"largest rate with p99 TTFT <= {D18.ttft_p99_target_ms} ms: {answer:g} requests/s "
      f"({answer / shown['d18_saturation']:.0%} of saturation)")
# END SOLUTION

# %%
cl.check("d18", answer)

# %% [markdown]
# **What if...** (optional) Between the rows: bisect the rate with the simulation itself.

# %%
# BEGIN SOLUTION
from costlib.estimate.serving import engine_step, max_rate_under_ttft_p99

dep = cl.deployment(D18.model, D18.gpu, D18.tp, D18.weights, D18.kv)
knee = max_rate_under_ttft_p99(engine_step(dep), D18.prompt_tokens, D18.output_tokens,
                               D18.ttft_p99_target_ms / 1e3, requests=D18.requests, seed=D18.seed)
print(f"bisected knee: {knee:.2f} requests/s per replica")
# END SOLUTION

# %% [markdown]
# <!-- BEGIN SOLUTION -->
# The bisected knee lies between the last row that meets the target and the first that misses it.
# With seeded Poisson arrivals every rate sees the same pattern of arrivals, scaled, so the p99
# moves smoothly enough with the rate to bisect.
# <!-- END SOLUTION -->

# %% [markdown]
# ## Takeaways
#
# - Plan capacity on the p99, not the mean: the slowest 1% cross a TTFT target long before the
#   typical request does.
# - The knee sits well below saturation: near saturation the queue for a KV slot, not the prefill,
#   sets the time to first token.
# - The knee is a request rate; multiply by the output length for output tokens per second.

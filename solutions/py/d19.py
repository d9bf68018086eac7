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
# # Drill 19 · The SLO fleet: replicas and dollars per month
#
# *Interview drill 19 (§30.9): size a fleet for a peak rate and a latency SLO, then price it.*
#
# **Problem.** Replicas of Llama 3.1 70B (FP8 weights and KV cache, four H100 SXM each, on-demand
# price) serve requests of 2,000 input and 300 output tokens. Traffic averages 8 requests per
# second and peaks at 2.5 times that, spread evenly over the replicas, arriving at random
# (Poisson). The SLO: p99 time to first token (TTFT) within 400 ms and mean inter-token latency
# (ITL) within 40 ms. costlib's simulation of one replica at its share of the peak (500 requests,
# seed 0, calibrated profile) gives the latencies printed below for a few fleet sizes. What does
# the smallest fleet that meets the SLO cost per month?
#
# **Assumptions.** The latencies as printed; the catalog's on-demand price; the workbook's month of
# 24 × 30 hours.
#
# **Give** `answer`: the fleet's bill in dollars per month. `cl.check("d19", answer)` accepts
# answers within 1%.

# %%
import costlib as cl
from costlib.teaching.questions_load import D19, TEXT_VALUES

shown = TEXT_VALUES["d19"]()
print(f"peak {shown['d19_peak']:g} requests/s; one replica saturates at {shown['d19_saturation']:.2f} requests/s; "
      f"${shown['d19_usd_per_gpu_hour']:.2f} per GPU-hour, {shown['d19_hours']:g} hours per month")
for n, mean_ms, p99_ms, itl_ms in shown["d19_rows"]:  # (replicas, mean TTFT, p99 TTFT, mean ITL)
    print(f"{n} replicas: mean TTFT {mean_ms:,} ms, p99 TTFT {p99_ms:,} ms, mean ITL {itl_ms:.1f} ms")
D19

# %% [markdown]
# <!-- BEGIN SOLUTION -->
# **Solution.** Size for the peak, not the average: each replica takes the peak rate divided by the
# number of replicas. The smallest fleet is the first row where both the p99 TTFT and the mean ITL
# meet their targets; saturation alone only says where the queue would grow without bound. Then
# bill every GPU of every replica for the month.
# <!-- END SOLUTION -->

# %%
# BEGIN SOLUTION
replicas = min(n for n, _mean_ms, p99_ms, itl_ms in shown["d19_rows"]
               if p99_ms <= D19.ttft_p99_target_ms and itl_ms <= D19.itl_mean_target_ms)
answer = replicas * D19.tp * shown["d19_usd_per_gpu_hour"] * shown["d19_hours"]
print(f"{replicas} replicas x {D19.tp} GPUs x ${shown['d19_usd_per_gpu_hour']:.2f}/h x {shown['d19_hours']:g} h "
      f"= ${answer:,.0f} per month; each replica at {shown['d19_peak'] / replicas:.2f} requests/s, "
      f"{shown['d19_peak'] / replicas / shown['d19_saturation']:.0%} of its saturation rate")
# END SOLUTION

# %%
cl.check("d19", answer)

# %% [markdown]
# **What if...** (optional) Run the same search with the library, and see how much headroom over
# pure throughput sizing the SLO implies.

# %%
# BEGIN SOLUTION
import math

from costlib.economics.slo import replicas_for_slo

dep = cl.deployment(D19.model, D19.gpu, D19.tp, D19.weights, D19.kv)
searched = replicas_for_slo(dep, D19.prompt_tokens, D19.output_tokens, shown["d19_peak"],
                            D19.ttft_p99_target_ms / 1e3, D19.itl_mean_target_ms / 1e3,
                            requests=D19.requests, seed=D19.seed)
by_throughput = math.ceil(shown["d19_peak"] / shown["d19_saturation"])
print(f"replicas_for_slo: {searched}; by throughput alone: {by_throughput}; "
      f"the SLO adds {searched / by_throughput - 1:.0%}")
# END SOLUTION

# %% [markdown]
# ## Takeaways
#
# - Size for the peak rate and check the SLO there; the average rate hides the hours that queue.
# - Throughput sizing runs each replica near saturation, where the p99 TTFT and the ITL blow past
#   any interactive target: the SLO is what sets the headroom.
# - A replica is TP GPUs: the bill is replicas × GPUs per replica × price × hours.

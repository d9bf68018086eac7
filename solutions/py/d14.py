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
# # Drill 14 · Little's law: how many requests are in the system?
#
# *Interview drill 14 (§30.4): turn a request rate and a latency into requests in flight.*
#
# **Problem.** One replica of Llama 3.1 70B (FP8 weights and KV cache, four H100s) receives
# requests of 2,000 input and 50 output tokens at random (Poisson) at 7 per second. costlib's
# simulation of that replica (500 requests, seed 0, calibrated profile) measures the mean time to
# first token (TTFT) and the mean inter-token latency (ITL) printed below. On average, how many
# requests are in the system, waiting or running, from arrival to their last token?
#
# **Assumptions.** A steady state; the latencies as printed (TTFT in whole ms, ITL to 0.1 ms).
#
# **Give** `answer`: the average number of requests in the system. `cl.check("d14", answer)`
# accepts answers within 3%.

# %%
import costlib as cl
from costlib.teaching.questions_scale import D14, TEXT_VALUES

shown = TEXT_VALUES["d14"]()
print(f"mean TTFT {shown['d14_ttft_ms']:,.0f} ms, mean ITL {shown['d14_itl_ms']:.1f} ms")
D14

# %% [markdown]
# <!-- BEGIN SOLUTION -->
# **Solution.** Little's law: requests in the system = arrival rate × mean time in the system.
# A request is in the system from its arrival to its last token: its TTFT (the wait for a KV slot
# plus its prefill) and then one inter-token gap for each of its other 49 tokens.
# <!-- END SOLUTION -->

# %%
# BEGIN SOLUTION
w_s = shown["d14_ttft_ms"] / 1e3 + (D14.output_tokens - 1) * shown["d14_itl_ms"] / 1e3
answer = D14.requests_per_s * w_s
print(f"W = {shown['d14_ttft_ms']:,.0f} ms + {D14.output_tokens - 1} x {shown['d14_itl_ms']:.1f} ms = {w_s:.2f} s; "
      f"L = {D14.requests_per_s:g}/s x {w_s:.2f} s = {answer:.1f} requests")
# END SOLUTION

# %%
cl.check("d14", answer)

# %% [markdown]
# **What if...** (optional) Check the answer against the simulation itself: its mean time in the
# system, and the time-averaged number of requests in its running batch.

# %%
# BEGIN SOLUTION
from costlib.estimate.serving import engine_step, simulate

dep = cl.deployment(D14.model, D14.gpu, D14.tp, D14.weights, D14.kv)
r = simulate(engine_step(dep), D14.prompt_tokens, D14.output_tokens, rate=D14.requests_per_s,
             requests=D14.requests, seed=D14.seed)
print(f"simulated mean time in the system {r.mean_latency_s:.2f} s, of which waiting for a KV slot "
      f"{r.mean_queue_s * 1e3:,.0f} ms; mean batch {r.mean_batch:.1f} at an achieved "
      f"{r.achieved_requests_per_s:.2f} requests/s")
# END SOLUTION

# %% [markdown]
# <!-- BEGIN SOLUTION -->
# The time in the system is the simulation's own mean latency. The running batch is smaller than
# rate × W: the run of 500 requests achieves less than 7 per second (it starts empty and
# drains at the end), and requests still waiting for a KV slot are in the system but not yet in the batch.
# <!-- END SOLUTION -->

# %% [markdown]
# ## Takeaways
#
# - L = λ W holds for any stable system: a rate and a mean latency give the requests in flight,
#   and so the KV cache they hold.
# - W runs from arrival to the last token: the queueing wait and the prefill (TTFT) plus the
#   decode gaps. Leaving out the wait undercounts exactly when the replica is busiest.
# - Use requests per second for λ, and seconds for W.

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
# # Drill 17 · Energy per million tokens
#
# *Interview drill 17 (§30.2): from watts to kWh per million tokens.*
#
# **Problem.** Llama 3.1 70B in FP8 runs on two H100 SXM (TP=2) at max throughput, 1,000 + 1,000
# tokens. Each board draws TDP × (idle + (1 − idle) × busy), with idle = 10% of TDP and busy the
# share of a step spent in kernels; the site's PUE is 1.2. How many kWh per million output tokens?
#
# **Assumptions.** The calibrated profile's mid tokens/s and busy share (`cl.predict`); TDP from
# the catalog.
#
# **Give** `answer`: kWh per million output tokens at the site. `cl.check("d17", answer)` accepts
# answers within 2%.

# %%
import costlib as cl
from costlib.teaching.questions_levers import D17

dep = cl.deployment(D17.model, D17.gpu, D17.tp, D17.weights, D17.kv)
est = cl.predict(dep, D17.input_len, D17.output_len)
tdp_w = cl.get_gpu(D17.gpu).tdp_w
print(f"{est.output_tokens_per_s.mid:,.0f} output tokens/s on {est.n_gpus} GPUs; busy {est.busy_fraction:.2f}; "
      f"TDP {tdp_w:.0f} W")
D17

# %% [markdown]
# <!-- BEGIN SOLUTION -->
# **Solution.** Watts are joules per second. Power of the site = board power × GPUs × PUE; divided
# by tokens per second it gives joules per token. A kWh is 1,000 W for 3,600 s = 3.6 MJ.
# <!-- END SOLUTION -->

# %%
# BEGIN SOLUTION
board_w = tdp_w * (D17.idle_fraction + (1 - D17.idle_fraction) * est.busy_fraction)
j_per_token = board_w * est.n_gpus * D17.pue / est.output_tokens_per_s.mid
answer = j_per_token * 1e6 / 3.6e6
print(f"{board_w:.0f} W per board -> {j_per_token:.3f} J per token -> {answer:.4f} kWh per million tokens")
# END SOLUTION

# %%
cl.check("d17", answer)

# %% [markdown]
# **What if...** (optional) What share of the on-demand <span>\$</span>/M is electricity at <span>\$</span>0.08/kWh?

# %%
# BEGIN SOLUTION
q = cl.quote(D17.model, D17.gpu, D17.tp, D17.weights, D17.kv, input_len=D17.input_len,
             output_len=D17.output_len, usd_per_kwh=0.08, pue=D17.pue)
share = q.energy.electricity_usd_per_million_output_tokens / q.usd_per_million.mid
print(f"electricity ${q.energy.electricity_usd_per_million_output_tokens:.4f}/M of ${q.usd_per_million.mid:.3f}/M: {share:.1%}")
# END SOLUTION

# %% [markdown]
# <!-- BEGIN SOLUTION -->
# At a full batch the energy per token is small and the electricity a small slice of a rented
# GPU's price; at batch 1 the same boards make one token per step, and the energy per token grows
# with it (notebook 12).
# <!-- END SOLUTION -->

# %% [markdown]
# ## Takeaways
#
# - J per token = watts × GPUs × PUE / tokens per second; 1 kWh = 3.6 MJ.
# - Count every GPU of the replica and the site's overhead (PUE).
# - A board under load draws less than its TDP; state the draw model you use.

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
# # Drill 11 · Mixture of experts: memory follows the total, bytes read follow the experts touched
#
# *Interview drill 11 (§30.3): why an MoE model is "fast like 13B, big like 47B", and when that
# stops being true.*
#
# **Problem.** Mixtral 8x7B has 8 expert MLPs per layer and routes each token to 2 of them. It is
# served in bf16 on two H100s (TP=2). Decode is memory-bound, so its speed follows the bytes one
# step reads. At a batch of 2 sequences, what fraction of the model's weight bytes does one decode
# step read?
#
# **Assumptions.** Routing is uniform and independent per token (each token picks 2 of the 8
# experts at random). Every token reads the shared weights (attention, embeddings, norms, the
# routers). The shapes are Mixtral's `config.json`, in costlib's model catalog.
#
# **Give** `answer`: the fraction of the weight bytes one decode step at batch 2 reads (a number
# between 0 and 1). `cl.check("d11", answer)` accepts answers within 2%.

# %%
import costlib as cl
from costlib.teaching.questions_scale import D11

m = cl.get_model(D11.model)
print(f"{m.name}: {m.n_layers} layers, {m.n_experts} experts per layer, {m.experts_per_token} "
      f"routed per token; {m.n_params / 1e9:.1f}B parameters in total, "
      f"{m.n_active_params / 1e9:.1f}B active per token")
D11

# %% [markdown]
# <!-- BEGIN SOLUTION -->
# **Solution.** Split the parameters into the shared part (read by every token) and the experts.
# One token reads 2 experts per layer; two tokens read the experts *either* of them picked. With
# E experts and k per token, the chance that a given expert is missed by one token is 1 − k/E, by
# all B tokens (1 − k/E)^B, so B tokens touch E (1 − (1 − k/E)^B) distinct experts per layer on
# average. Bytes read / bytes held = (shared + layers × touched × per-expert) / all parameters.
# <!-- END SOLUTION -->

# %%
# BEGIN SOLUTION
E, k, B = m.n_experts, m.experts_per_token, D11.batch
touched = E * (1 - (1 - k / E) ** B)
read = m.shared_params + m.n_layers * touched * m.expert_params
print(f"shared {m.shared_params / 1e9:.2f}B parameters, one expert MLP {m.expert_params / 1e6:.0f}M; "
      f"{B} tokens touch {touched:.2f} of {E} experts per layer")
answer = read / m.n_params
dep = cl.deployment(D11.model, D11.gpu, tp=D11.tp, weights=D11.weights)
costlib_fraction = cl.weight_bytes_read_per_step(dep, B) / cl.weight_bytes(m, D11.weights)
print(f"fraction read at batch {B}: {answer:.3f} (costlib: {costlib_fraction:.3f})")
# END SOLUTION

# %%
cl.check("d11", answer)

# %% [markdown]
# **What if...** (optional) How does the fraction grow with the batch, and what does that do to
# the per-token advantage over a dense model of the same total size?

# %%
# BEGIN SOLUTION
for b in (1, 2, 4, 8, 16, 64):
    f = cl.weight_bytes_read_per_step(dep, b) / cl.weight_bytes(m, D11.weights)
    print(f"batch {b:>3}: reads {f:.0%} of the weights")
print(f"memory to hold: {cl.weight_bytes(m, D11.weights) / 1e9:.0f} GB of bf16 weights, "
      f"whatever the batch")
# END SOLUTION

# %% [markdown]
# <!-- BEGIN SOLUTION -->
# At batch 1 a step reads only the active share (about 28%), which is why MoE decodes like a much
# smaller model. The advantage fades fast: by batch 8 nearly every expert is touched every step,
# and a memory-bound step reads almost the whole model, like a dense one of the same total size.
# Memory never shrinks: all experts must be resident.
# <!-- END SOLUTION -->

# %% [markdown]
# ## Takeaways
#
# - MoE memory (and the GPUs you need to hold it) follows the **total** parameters; per-token
#   FLOPs follow the **active** ones.
# - Bytes read per decode step follow the experts the whole batch touches:
#   E (1 − (1 − k/E)^B) per layer, not k × B, and soon all E.
# - The "fast like a small model" effect is a small-batch effect; at serving batches MoE decode is
#   bounded by its total size, and its gain is in FLOPs (prefill, compute-bound steps).

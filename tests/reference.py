"""Reference figures written out by hand from published sources, shared by the tests.

Never computed by costlib: the tests compare costlib against these.
"""

# Llama 3.1 70B, from its config.json: 80 layers, hidden 8192, 64 attention heads, 8 KV heads,
# head dim 128, gated MLP of 28672, vocab 128256, untied embeddings, no biases.
L, D, H, KVH, HD, F, V = 80, 8192, 64, 8, 128, 28672, 128256
N70 = (2 * V * D                                              # embeddings + output head
       + L * (D * H * HD + 2 * D * KVH * HD + H * HD * D       # q, k, v, o projections
              + 3 * D * F                                      # gate, up, down
              + 2 * D)                                         # two RMSNorms
       + D)                                                    # final norm
KV70_BF16 = 2 * L * KVH * HD * 2                               # bytes/token: K and V, 2 bytes

assert N70 == 70_553_706_496  # Meta's model card: 70.6B

"""Layer 2: the formulas of memory (weights + KV cache) and of one decode/prefill step (§30.2, §30.3)."""

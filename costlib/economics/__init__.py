"""Layer 4: dollars -- cost per token, API crossover, capacity, frontier, hardware, the calculator's quote (§30.1-§30.10)."""

"""Layer 1: GPU, model and precision specs, the CSV tables, prices, and Deployment (§30.2, §30.3)."""

"""Layer 3: efficiency profiles and the prediction of a run (ceiling, low/mid/high tokens/s) (§30.4)."""

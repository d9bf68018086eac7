"""Layer 0: input checks, units and formatters that every other layer may use."""

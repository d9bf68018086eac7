"""Layer 4 (beside economics): measured runs, validation against them, calibration of profiles (§30.4)."""

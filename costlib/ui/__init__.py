"""Layer 6: plots, explorers (widgets), the calculator app, the quiz widget and the command line."""

"""Forms of the rewards app, one module per area."""

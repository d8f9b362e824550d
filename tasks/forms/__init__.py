"""Forms of the assist-work app, one module per area."""

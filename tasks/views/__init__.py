"""Pages of the assist-work app, one module per area; each module ends with its URLs."""

"""Writes of the rewards app, one module per area: leads, payouts, sign-off."""

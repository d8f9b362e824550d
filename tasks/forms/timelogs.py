"""Forms of the timelogs pages."""

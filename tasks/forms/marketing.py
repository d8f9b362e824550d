"""Forms of the marketing pages."""

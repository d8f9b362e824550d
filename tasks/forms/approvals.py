"""Forms of the approvals pages."""

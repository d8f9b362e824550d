"""approvals pages."""

urlpatterns: list = []

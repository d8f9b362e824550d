"""timelogs pages."""

urlpatterns: list = []

"""marketing pages."""

urlpatterns: list = []

"""Pages of the rewards app, one module per area; each ends with its ``urlpatterns``."""

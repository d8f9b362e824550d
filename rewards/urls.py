from rewards.views import leads

app_name = "rewards"

urlpatterns = [*leads.urlpatterns]

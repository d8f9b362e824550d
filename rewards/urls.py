from rewards.views import leads, payouts, statements

app_name = "rewards"

urlpatterns = [*leads.urlpatterns, *payouts.urlpatterns, *statements.urlpatterns]

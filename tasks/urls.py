from tasks.views import approvals, marketing, timelogs

app_name = "tasks"

urlpatterns = [*timelogs.urlpatterns, *marketing.urlpatterns, *approvals.urlpatterns]

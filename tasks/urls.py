from tasks.views import approvals, dashboards, jobs_admin, marketing, timelogs

app_name = "tasks"

urlpatterns = [
    *timelogs.urlpatterns,
    *marketing.urlpatterns,
    *approvals.urlpatterns,
    *dashboards.urlpatterns,
    *jobs_admin.urlpatterns,
]

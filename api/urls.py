"""``/api/v1/…`` for the resources, and the OpenAPI schema with its docs pages.

The docs (Swagger UI, Redoc) are served from drf-spectacular-sidecar's static files: no
CDN. The schema answers tokens and sessions; the docs pages are for people signed in.
"""

from csp.decorators import csp_update
from django.contrib.auth.decorators import login_not_required, login_required
from django.urls import include, path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)
from rest_framework.routers import SimpleRouter

from api.views import auth, organisation, rewards, work

app_name = "api"

router = SimpleRouter(trailing_slash=True)
router.register("departments", organisation.DepartmentViewSet, basename="department")
router.register("staff", organisation.StaffViewSet, basename="staff")
router.register("categories", organisation.CategoryViewSet, basename="category")
router.register("tasks", work.TaskViewSet, basename="task")
router.register("logs", work.TimeLogViewSet, basename="log")
router.register("extensions", work.ExtensionViewSet, basename="extension")
router.register("leads", rewards.LeadViewSet, basename="lead")
router.register("rewards", rewards.RewardViewSet, basename="reward")
router.register("statements", rewards.StatementViewSet, basename="statement")
router.register("payout-periods", rewards.PayoutPeriodViewSet, basename="payout-period")

v1 = [
    path("auth/token/", auth.TokenView.as_view(), name="token"),
    path("me/", auth.MeView.as_view(), name="me"),
    path(
        "import/organisation/",
        organisation.OrganisationImportView.as_view(),
        name="import-organisation",
    ),
    path("", include(router.urls)),
]

urlpatterns = [
    path("v1/", include(v1)),
    # Integrators fetch the schema with a token: DRF authenticates, not the login page.
    path("schema/", login_not_required(SpectacularAPIView.as_view()), name="schema"),
    # DRF views skip the login middleware; the docs pages send people to the login page.
    path(
        "docs/",
        login_required(
            SpectacularSwaggerSplitView.as_view(
                url_name="api:schema", template_name="api/swagger_ui.html"
            )
        ),
        name="docs",
    ),
    # Redoc styles itself by inserting style sheets from its script, and searches in a
    # worker: the site's strict policy is widened for this one page, and only for that.
    path(
        "redoc/",
        login_required(
            csp_update({"style-src": ["'unsafe-inline'"], "worker-src": ["'self'", "blob:"]})(
                SpectacularRedocView.as_view(url_name="api:schema", template_name="api/redoc.html")
            )
        ),
        name="redoc",
    ),
]

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from accounts import views as account_views
from departments import views as department_views

urlpatterns = [
    path("", department_views.home, name="home"),
    path("healthz", department_views.healthz, name="healthz"),
    path("accounts/login/", account_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password/",
        auth_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("accounts/", include("accounts.urls")),
    path("i18n/", include("departments.i18n_urls")),
    path("jsi18n/", login_not_required(JavaScriptCatalog.as_view()), name="javascript-catalog"),
    path("admin/", admin.site.urls),
    path("audit/", include("audit.urls")),
    path("api/", include("api.urls")),
    path("", include("departments.urls")),
    path("", include("tasks.urls")),
    path("", include("rewards.urls")),
]

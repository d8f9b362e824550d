from django.urls import path

from departments import views

app_name = "departments"

urlpatterns = [
    path("me/", views.my_profile, name="my_profile"),
    path("people/<int:pk>/", views.profile_detail, name="profile"),
    path("people/<int:pk>/edit/", views.profile_edit, name="profile_edit"),
    path("people/<int:pk>/budget/", views.budget, name="budget"),
    path(
        "people/<int:pk>/budget/<int:rule_pk>/delete/",
        views.budget_rule_delete,
        name="budget_rule_delete",
    ),
    path("org/", views.org_chart, name="org_chart"),
    path("delegations/", views.delegations, name="delegations"),
    path("delegations/<int:pk>/end/", views.delegation_end, name="delegation_end"),
]

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from audit.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: the audit log is append-only, also for administrators."""

    list_display = ["created_at", "actor_repr", "action", "object_repr", "ip_address"]
    list_filter = ["action", "content_type"]
    search_fields = ["actor_repr", "summary", "object_repr", "ip_address"]
    date_hierarchy = "created_at"
    list_select_related = ["content_type"]
    actions = None

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields] + ["summary_in_your_language"]

    @admin.display(description=_("summary in your language"))
    def summary_in_your_language(self, obj: AuditEntry) -> str:
        return obj.summary_text()

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

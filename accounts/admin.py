from django.contrib import admin

from accounts.models import TwoFactorRequirement


@admin.register(TwoFactorRequirement)
class TwoFactorRequirementAdmin(admin.ModelAdmin):
    list_display = ["role", "created_by", "created_at"]
    readonly_fields = ["created_by", "created_at"]

    def has_change_permission(self, request, obj=None):
        return False  # a requirement is added or removed, never changed into another

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

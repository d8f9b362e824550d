"""Signal receivers: they only record what happened, nothing else."""

from axes.signals import user_locked_out
from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_save
from django.utils import translation

from audit import services
from audit.models import FAILED_LOGIN, LOCKED_OUT, LOGGED_IN, LOGGED_OUT, AuditEntry

_ADMIN_ACTIONS = {
    ADDITION: AuditEntry.Action.ADMIN_ADDED,
    CHANGE: AuditEntry.Action.ADMIN_CHANGED,
    DELETION: AuditEntry.Action.ADMIN_DELETED,
}


def on_login(sender, request, user, **kwargs):
    services.record_safely(
        action=AuditEntry.Action.LOGIN, summary=LOGGED_IN, actor=user, request=request
    )


def on_logout(sender, request, user, **kwargs):
    services.record_safely(
        action=AuditEntry.Action.LOGOUT, summary=LOGGED_OUT, actor=user, request=request
    )


def on_login_failed(sender, credentials, request=None, **kwargs):
    username = str(credentials.get("username", ""))[:150]
    services.record_safely(
        action=AuditEntry.Action.LOGIN_FAILED,
        summary=FAILED_LOGIN,
        extra={"username": username},
        actor_repr=username,
        request=request,
    )


def on_locked_out(sender, request, username, ip_address, **kwargs):
    services.record_safely(
        action=AuditEntry.Action.LOCKED_OUT,
        summary=LOCKED_OUT,
        extra={"username": str(username or "")[:150]},
        actor_repr=str(username or "")[:150],
        request=request,
    )


def on_admin_log_entry(sender, instance: LogEntry, created: bool, raw: bool = False, **kwargs):
    if not created or raw:
        return
    with translation.override(None):  # worded again for each reader from the change message
        summary = instance.get_change_message() or instance.object_repr
    services.record(
        action=_ADMIN_ACTIONS.get(instance.action_flag, AuditEntry.Action.ADMIN_CHANGED),
        summary=summary,
        target=(
            instance.content_type_id,
            ("" if instance.object_id is None else str(instance.object_id))[:64],
            (instance.object_repr or "")[:200],
        ),
        actor_id=instance.user_id,
        extra={"change_message": instance.change_message, "admin_log_entry": instance.pk},
    )


def connect() -> None:
    user_logged_in.connect(on_login, dispatch_uid="audit_login")
    user_logged_out.connect(on_logout, dispatch_uid="audit_logout")
    user_login_failed.connect(on_login_failed, dispatch_uid="audit_login_failed")
    user_locked_out.connect(on_locked_out, dispatch_uid="audit_locked_out")
    post_save.connect(on_admin_log_entry, sender=LogEntry, dispatch_uid="audit_admin_log")

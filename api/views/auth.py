"""Tokens and the caller's own figures."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from api import serializers
from api.throttles import TokenRateThrottle
from api.views import examples as ex
from api.views.base import ApiViewMixin
from departments.roles import Role, get_profile, roles_for
from tasks import selectors as task_selectors


class TokenView(ApiViewMixin, APIView):
    """``POST`` trades a username and password for the account's token (the same token
    until revoked); ``DELETE`` revokes the token of the caller. Admins revoke any token in
    the Django admin (Auth Token › Tokens)."""

    throttle_classes = [TokenRateThrottle]
    serializer_class = AuthTokenSerializer

    def get_permissions(self):
        if self.request.method == "POST":
            return [AllowAny()]
        return [IsAuthenticated()]

    def get_authenticators(self):
        # Signing in needs no credentials; a stale token header must not stand in the way.
        if getattr(self, "request", None) is not None and self.request.method == "POST":
            return []
        return super().get_authenticators()

    def get_serializer_context(self):
        return {"request": self.request, "view": self}

    @extend_schema(
        operation_id="auth_token_create",
        summary="Trade a username and password for a token",
        tags=["auth"],
        auth=[],
        request=serializers.TokenRequestSerializer,
        responses={
            200: serializers.TokenSerializer,
            400: OpenApiResponse(description="Bad credentials"),
        },
        examples=[ex.TOKEN_REQUEST, ex.TOKEN_RESPONSE, ex.BAD_CREDENTIALS],
    )
    def post(self, request):
        serializer = AuthTokenSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        user = serializer.validated_data["user"]
        _check_second_factor(user, request.data.get("otp"))
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})

    @extend_schema(
        operation_id="auth_token_revoke",
        summary="Revoke the caller's token",
        tags=["auth"],
        request=None,
        responses={204: OpenApiResponse(description="The caller's token is revoked.")},
        examples=[ex.response("Revoked", None, status_codes=["204"])],
    )
    def delete(self, request):
        Token.objects.filter(user=request.user).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


def _check_second_factor(user, code) -> None:
    """A password alone gets no token where the login page would ask for more: an account
    with an authenticator app sends its current code as ``otp``; an account whose role
    requires two-factor authentication but has no app set up gets none (as at login)."""
    from accounts.services import totp_token_verify
    from accounts.totp import confirmed_device, required_for

    device = confirmed_device(user)
    if device is None:
        if required_for(user):
            raise ValidationError(
                {
                    api_settings.NON_FIELD_ERRORS_KEY: [
                        _("Your role requires two-factor authentication: set it up first.")
                    ]
                }
            )
        return
    if not code:
        raise ValidationError({"otp": [_("Enter the code from your authenticator app.")]})
    if not totp_token_verify(user=user, device=device, token=str(code)):
        raise ValidationError({"otp": [_("The code is wrong or expired; try the next one.")]})


class MeView(ApiViewMixin, APIView):
    """The caller: roles and today's marketing budget."""

    @extend_schema(
        operation_id="me_retrieve",
        summary="The caller's roles and today's budget",
        tags=["me"],
        responses=serializers.MeSerializer,
        examples=[ex.ME],
    )
    def get(self, request):
        user = request.user
        profile = get_profile(user)
        figures = {
            "budget_today_minutes": None,
            "extension_today_minutes": None,
            "logged_today_minutes": None,
            "remaining_today_minutes": None,
        }
        if profile is not None:
            day = timezone.localdate()
            summary = task_selectors.days_summary(staff=profile, start=day, end=day)[0]
            figures = {
                "budget_today_minutes": summary.budget,
                "extension_today_minutes": summary.extension,
                "logged_today_minutes": summary.counted,
                "remaining_today_minutes": summary.remaining,
            }
        data = {
            "id": user.pk,
            "username": user.get_username(),
            "first_name": user.first_name,
            "last_name": user.last_name,
            "email": user.email,
            "staff": profile.pk if profile else None,
            "department": profile.department_id if profile else None,
            "roles": [role for role in Role.values if role in roles_for(user)],
            **figures,
        }
        return Response(serializers.MeSerializer(data).data)

import datetime

from rewards.models import PayoutPeriod


def period_closed_for_logging(*, day: datetime.date) -> PayoutPeriod | None:
    """The period covering ``day`` if it no longer accepts time logs, else None."""
    return (
        PayoutPeriod.objects.filter(start_date__lte=day, end_date__gte=day)
        .exclude(status=PayoutPeriod.Status.OPEN)
        .first()
    )

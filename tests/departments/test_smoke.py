from django.conf import settings
from django.urls import reverse


def test_celery_is_eager_in_unit_tests():
    from config.celery import app

    assert app.conf.task_always_eager is True
    assert settings.LANGUAGE_CODE == "en"


def test_profile_shows_both_supervisors(org, login):
    response = login(org.staff).get(reverse("departments:my_profile"))
    assert response.status_code == 200
    assert org.supervisor.get_full_name() in response.content.decode()

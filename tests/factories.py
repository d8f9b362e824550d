import datetime

import factory
from django.contrib.auth import get_user_model

from departments.models import BudgetRule, Delegation, Department, StaffProfile

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(self, create, extracted, **kwargs):
        if create:
            self.save()


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ["code"]

    name = factory.Sequence(lambda n: f"Department {n}")
    code = factory.Sequence(lambda n: f"D{n}")
    kind = Department.Kind.NON_MARKETING


class MarketingDepartmentFactory(DepartmentFactory):
    kind = Department.Kind.MARKETING


class StaffProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StaffProfile

    user = factory.SubFactory(UserFactory)
    employee_number = factory.Sequence(lambda n: f"N{n:05d}")
    department = factory.SubFactory(DepartmentFactory)
    title = "Engineer"


class BudgetRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BudgetRule

    daily_minutes = 120
    effective_from = datetime.date(2020, 1, 1)


class DelegationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Delegation

    start_date = datetime.date(2020, 1, 1)
    end_date = datetime.date(2099, 12, 31)

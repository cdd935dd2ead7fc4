import factory

from accounts.models import Department, User
from accounts.services import department_create, user_create


class DepartmentFactory(factory.django.DjangoModelFactory):
    """Creates departments through the service, so the tree path is maintained as in production."""

    class Meta:
        model = Department

    name = factory.Sequence(lambda n: f"Department {n}")
    parent = None
    time_zone = "Europe/Berlin"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return department_create(actor=None, **kwargs)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    role = User.Role.FLEET_MANAGER
    department = factory.SubFactory(DepartmentFactory)
    password = "correct-horse-battery"  # noqa: S105

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return user_create(actor=None, **kwargs)

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Departments, users and roles, department scoping and the activity log."""

    name = "accounts"
    verbose_name = "Accounts and departments"

"""What accounts announces to the apps above it, which it must not import (issue 15: imports go one way)."""

from django.dispatch import Signal

# A department was created: sent by accounts.services.department_create inside its transaction, once the
# department is saved with its path. Arguments: sender=Department, department=<the new Department>, actor.
department_created = Signal()

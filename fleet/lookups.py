"""`field__any=[...]`: membership in a list as one array parameter on PostgreSQL (`= ANY(%s)`).

`__in` with 10,000 values sends and parses 10,000 placeholders; telemetry ingest looks up that
many vehicles per batch. Other databases get a plain IN list.
"""

from django.db import models


class Any(models.Lookup):
    lookup_name = "any"
    prepare_rhs = False  # the right-hand side is a list, passed as one array parameter

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = list(self.rhs)
        if not values:
            return "1 = 0", []
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s)", [*lhs_params, values]
        return f"{lhs} IN ({', '.join(['%s'] * len(values))})", [*lhs_params, *values]


models.BigAutoField.register_lookup(Any)
models.CharField.register_lookup(Any)

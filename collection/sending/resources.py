"""Forces' FOI addresses in bulk: a CSV of force_id,foi_email through django-import-export.

`ForceAddressResource` touches nothing but `foi_email` (and, when an address changes, the
"failing" mark the inbox sets on a bounce: a corrected address is given a fresh chance). A
force id we do not know, an address that is not one, a force listed twice or a file over the
limits refuses the row (named, with its field) and the whole file: nothing is written unless
every row is good. The admin's import on Forces and `import_force_addresses` both use it.
"""
from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from import_export import fields, resources

from ..forces.models import Force

HEADERS = ("force_id", "foi_email")
#: 44 forces today; room for renamed or merged ones, not for a file that is something else.
MAX_ROWS = 500
MAX_BYTES = 256 * 1024


class ForceAddressResource(resources.ModelResource):
    force_id = fields.Field(attribute="force_id", column_name="force_id")
    foi_email = fields.Field(attribute="foi_email", column_name="foi_email")

    class Meta:
        model = Force
        fields = HEADERS
        import_id_fields = ("force_id",)
        skip_unchanged = True
        report_skipped = True
        use_transactions = True
        skip_diff = False

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seen: dict[str, int] = {}

    def get_export_queryset(self, request=None):
        return Force.objects.order_by("force_id")

    def before_import(self, dataset, **kwargs):
        self.seen = {}
        headers = [(h or "").strip().lower() for h in (dataset.headers or [])]
        if headers != list(HEADERS):
            raise ValueError(f"the file's columns must be exactly {','.join(HEADERS)} (found "
                             f"{','.join(h or '(blank)' for h in headers) or 'none'})")
        dataset.headers = headers
        if len(dataset) > MAX_ROWS:
            raise ValueError(f"the file has {len(dataset):,} rows: at most {MAX_ROWS} (one per force) are read")

    def before_import_row(self, row, **kwargs):
        force_id = str(row.get("force_id") or "").strip().lower()
        row["force_id"] = force_id
        row["foi_email"] = str(row.get("foi_email") or "").strip()
        number = kwargs.get("row_number")
        if not force_id:
            raise ValidationError({"force_id": "the force id is blank"})
        if force_id in self.seen:
            raise ValidationError({"force_id": f"{force_id!r} is listed twice (rows {self.seen[force_id]} and "
                                               f"{number}): keep one"})
        self.seen[force_id] = number

    def get_or_init_instance(self, instance_loader, row):
        instance = self.get_instance(instance_loader, row)
        if instance is None:  # never create a force from an address list
            raise ValidationError({"force_id": f"no force with id {row['force_id']!r} (see the force ids on Forces)"})
        return instance, False

    def import_instance(self, instance, row, **kwargs):
        before = instance.foi_email
        super().import_instance(instance, row, **kwargs)
        if instance.foi_email:
            try:
                validate_email(instance.foi_email)
            except ValidationError:
                raise ValidationError({"foi_email": f"{instance.foi_email!r} is not an e-mail address"}) from None
            if len(instance.foi_email) > Force._meta.get_field("foi_email").max_length:
                raise ValidationError({"foi_email": "the address is too long"})
        if instance.foi_email != before:
            instance.foi_email_failing = False
            instance.foi_email_problem = ""

    def do_instance_save(self, instance, is_create):
        instance.save(update_fields=["foi_email", "foi_email_failing", "foi_email_problem"])


def refusals(result, file_name: str) -> list[str]:
    """Each reason an import was refused, one line naming the file, the row and the field."""
    lines = [f"{file_name}: {error.error}" for error in result.base_errors]
    for number, errors in result.row_errors():
        lines += [f"{file_name}, row {number}: {error.error}" for error in errors]
    for row in result.invalid_rows:
        force_id = (row.values[0] if row.values else "") or "?"
        for name, messages in row.field_specific_errors.items():
            lines += [f"{file_name}, row {row.number} ({force_id}): {name}: {message}" for message in messages]
        lines += [f"{file_name}, row {row.number} ({force_id}): {message}" for message in row.non_field_specific_errors]
    return lines

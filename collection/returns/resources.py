"""django-import-export Resources: the one place that says how a tidy table maps to rows.

The importer turns a force's messy file into a tidy table (one row per offence, age or band,
sex); `OffenceCountResource` loads that table into `OffenceCount`, giving the admin its dry
run (preview) and the real import the same validation.
"""
import tablib
from import_export import fields, resources, widgets

from ..models import OffenceCode, OffenceCount

TIDY_HEADERS = ("campaign", "force", "request", "returned_file", "offence_code", "victim_age", "age_band",
                "age_band_min", "age_band_max", "victim_sex", "count", "suppressed", "suppressed_label")


class OffenceCountResource(resources.ModelResource):
    offence_code = fields.Field(attribute="offence", column_name="offence_code",
                                widget=widgets.ForeignKeyWidget(OffenceCode, field="code"))

    class Meta:
        model = OffenceCount
        fields = ("campaign", "force", "request", "returned_file", "offence_code", "victim_age", "age_band",
                  "age_band_min", "age_band_max", "victim_sex", "count", "suppressed", "suppressed_label")
        import_id_fields = ()
        skip_unchanged = False
        use_bulk = True
        batch_size = 1000
        clean_model_instances = True

    def get_instance(self, instance_loader, row):
        return None  # every row is new: the request's old counts are replaced as a whole


def tidy_dataset(request, returned_file, rows) -> tablib.Dataset:
    """The importer's TidyRows as the tabular dataset the Resource loads."""
    data = tablib.Dataset(headers=TIDY_HEADERS)
    for r in rows:
        data.append((request.campaign_id, request.force_id, request.pk,
                     returned_file.pk if returned_file else None, r.offence_code, r.victim_age, r.age_band,
                     r.age_band_min, r.age_band_max, r.victim_sex, r.count, r.suppressed, r.suppressed_label))
    return data

from django.db import migrations


def load_reference_data(apps, schema_editor):
    from collection.forces import reference

    reference.load(apps.get_model("collection", "Force"), apps.get_model("collection", "OffenceCode"))


class Migration(migrations.Migration):
    dependencies = [("collection", "0001_initial")]
    operations = [migrations.RunPython(load_reference_data, migrations.RunPython.noop)]

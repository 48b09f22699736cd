from django.db import migrations


def create_groups(apps, schema_editor):
    # Permissions are normally made after migrate; make them now so the groups get them.
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    researchers, _ = Group.objects.get_or_create(name="Researchers")
    viewers, _ = Group.objects.get_or_create(name="Viewers")
    perms = Permission.objects.filter(content_type__app_label__in=("collection", "reports"))
    researchers.permissions.add(*perms)
    viewers.permissions.add(*perms.filter(codename__startswith="view_"))


class Migration(migrations.Migration):
    dependencies = [("collection", "0002_reference_data"), ("auth", "0012_alter_user_first_name_max_length"),
                    ("contenttypes", "0002_remove_content_type_name")]
    operations = [migrations.RunPython(create_groups, migrations.RunPython.noop)]

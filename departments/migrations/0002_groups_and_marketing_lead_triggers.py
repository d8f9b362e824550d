"""Role groups, and the rule "a marketing lead belongs to a marketing department"
held by the database itself (it spans two tables, so a CHECK cannot express it).

Note for later migrations: on SQLite, an AlterField that rebuilds the staff profile or
department table fails while these triggers exist ("no such table" inside the trigger).
Such a migration must drop the triggers first and create them again afterwards (reuse
create_triggers / drop_triggers below), or keep state-only changes in
SeparateDatabaseAndState."""

from django.db import migrations

VALID_LEAD = """
    SELECT 1 FROM departments_staffprofile lp
    JOIN departments_department ld ON ld.id = lp.department_id
    WHERE lp.user_id = {user} AND ld.kind = 'marketing' AND lp.is_marketing_lead
"""
MESSAGE = "a marketing lead must be a marketing-department member with the lead role"

POSTGRES_FORWARD = f"""
CREATE OR REPLACE FUNCTION departments_check_marketing_lead() RETURNS trigger AS $$
BEGIN
  IF TG_TABLE_NAME = 'departments_staffprofile' THEN
    IF NEW.marketing_lead_id IS NOT NULL AND NOT EXISTS ({VALID_LEAD.format(user="NEW.marketing_lead_id")}) THEN
      RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = '23514';
    END IF;
    IF TG_OP = 'UPDATE' AND EXISTS (
        SELECT 1 FROM departments_staffprofile r WHERE r.marketing_lead_id = NEW.user_id
    ) AND NOT EXISTS (
        SELECT 1 FROM departments_department nd
        WHERE nd.id = NEW.department_id AND nd.kind = 'marketing' AND NEW.is_marketing_lead
    ) THEN
      RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = '23514';
    END IF;
  ELSE
    IF NEW.kind <> 'marketing' AND EXISTS (
        SELECT 1 FROM departments_staffprofile lp
        JOIN departments_staffprofile r ON r.marketing_lead_id = lp.user_id
        WHERE lp.department_id = NEW.id
    ) THEN
      RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = '23514';
    END IF;
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER departments_profile_marketing_lead
  BEFORE INSERT OR UPDATE ON departments_staffprofile
  FOR EACH ROW EXECUTE FUNCTION departments_check_marketing_lead();
CREATE TRIGGER departments_department_marketing_lead
  BEFORE UPDATE OF kind ON departments_department
  FOR EACH ROW EXECUTE FUNCTION departments_check_marketing_lead();
"""
POSTGRES_REVERSE = """
DROP TRIGGER IF EXISTS departments_profile_marketing_lead ON departments_staffprofile;
DROP TRIGGER IF EXISTS departments_department_marketing_lead ON departments_department;
DROP FUNCTION IF EXISTS departments_check_marketing_lead();
"""

SQLITE_FORWARD = [
    f"""CREATE TRIGGER departments_profile_marketing_lead_insert
    BEFORE INSERT ON departments_staffprofile
    WHEN NEW.marketing_lead_id IS NOT NULL AND NOT EXISTS ({VALID_LEAD.format(user="NEW.marketing_lead_id")})
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;""",
    f"""CREATE TRIGGER departments_profile_marketing_lead_update
    BEFORE UPDATE ON departments_staffprofile
    WHEN NEW.marketing_lead_id IS NOT NULL AND NOT EXISTS ({VALID_LEAD.format(user="NEW.marketing_lead_id")})
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;""",
    f"""CREATE TRIGGER departments_profile_lead_role_update
    AFTER UPDATE OF department_id, is_marketing_lead ON departments_staffprofile
    WHEN EXISTS (SELECT 1 FROM departments_staffprofile r WHERE r.marketing_lead_id = NEW.user_id)
     AND NOT EXISTS ({VALID_LEAD.format(user="NEW.user_id")})
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;""",
    f"""CREATE TRIGGER departments_department_kind_update
    BEFORE UPDATE OF kind ON departments_department
    WHEN NEW.kind <> 'marketing' AND EXISTS (
        SELECT 1 FROM departments_staffprofile lp
        JOIN departments_staffprofile r ON r.marketing_lead_id = lp.user_id
        WHERE lp.department_id = NEW.id)
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;""",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS departments_profile_marketing_lead_insert;",
    "DROP TRIGGER IF EXISTS departments_profile_marketing_lead_update;",
    "DROP TRIGGER IF EXISTS departments_profile_lead_role_update;",
    "DROP TRIGGER IF EXISTS departments_department_kind_update;",
]


def create_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_FORWARD)
    elif vendor == "sqlite":
        for statement in SQLITE_FORWARD:
            schema_editor.execute(statement)


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_REVERSE)
    elif vendor == "sqlite":
        for statement in SQLITE_REVERSE:
            schema_editor.execute(statement)


def create_groups(apps, schema_editor):
    group_model = apps.get_model("auth", "Group")
    for name in ("finance", "admin"):
        group_model.objects.get_or_create(name=name)


class Migration(migrations.Migration):
    dependencies = [
        ("departments", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.RunPython(create_groups, migrations.RunPython.noop),
        migrations.RunPython(create_triggers, drop_triggers),
    ]

from django.db import migrations

CATEGORIES = [
    # code, English, Chinese, reward class
    ("phone-marketing", "Phone marketing", "电话营销", "support"),
    ("customer-service", "Customer service", "客户服务", "support"),
    ("online-marketing", "Online marketing", "网络营销", "support"),
    ("copy-material", "Copy / soft-article material", "文案与软文素材", "support"),
    ("proposal-input", "Client-proposal input", "客户方案支持", "support"),
    ("marketing-meeting", "Marketing meeting", "营销会议", "support"),
    ("client-visit", "Client visit", "客户拜访", "support"),
    ("business-introduction", "Business introduction (lead)", "业务介绍（商机）", "direct_revenue"),
]


def seed(apps, schema_editor):
    category = apps.get_model("tasks", "AssistCategory")
    for order, (code, name, name_zh, reward_class) in enumerate(CATEGORIES, start=1):
        category.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "name_zh_hans": name_zh,
                "reward_class": reward_class,
                "order": order * 10,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("tasks", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]

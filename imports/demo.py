"""A small made-up breach so a newcomer sees the site work at once."""

import csv
import datetime
import random
from pathlib import Path

from django.conf import settings

from imports.importer import import_run
from imports.jobs import import_create
from leaks.models import Breach, Exposure, LegacyExposure
from leaks.publishing import breach_publish

DEMO_SLUG = "demo-card-shop"
DEMO_NUMBER = "13800138000"
_SURNAMES = "王李张刘陈杨黄赵吴周"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平"
_CITIES = ["北京市朝阳区", "上海市浦东新区", "广州市天河区", "深圳市南山区", "成都市武侯区"]


def write_demo_dump(path: Path, rows: int = 300, seed: int = 7) -> None:
    rng = random.Random(seed)
    prefixes = ["138", "139", "150", "186", "170", "171", "199"]
    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["姓名", "手机号", "QQ", "地址"])
        writer.writerow(["演示用户", DEMO_NUMBER, "10001", _CITIES[0]])
        for _ in range(rows):
            name = rng.choice(_SURNAMES) + rng.choice(_GIVEN) + rng.choice(_GIVEN)
            phone = rng.choice(prefixes) + f"{rng.randrange(10**8):08d}"
            writer.writerow([name, phone, str(rng.randrange(10**5, 10**10)), rng.choice(_CITIES)])
        writer.writerow(["重复用户", DEMO_NUMBER, "", _CITIES[1]])
        writer.writerow(["坏号码", "1380013", "", _CITIES[2]])


def load_demo() -> Breach:
    breach, created = Breach.objects.get_or_create(
        slug=DEMO_SLUG,
        defaults={
            "title": "示例：某卡牌交易平台会员库 (demo)",
            "domain": "cards.example",
            "breach_date": datetime.date(2024, 3, 1),
            "description": (
                "演示数据，全部为虚构。Made-up demo data: a card-trading shop's member list "
                "with names, phone numbers, addresses and photos."
            ),
            "data_classes": ["phone", "name", "address", "photo"],
            "is_verified": True,
        },
    )
    if not created and not Exposure.objects.filter(breach=breach).exists():
        # Demo rows made with the HMAC before the OPRF: the dump is made up, so
        # import it again instead of keeping legacy rows the private check cannot see.
        LegacyExposure.objects.filter(breach=breach).delete()
        Breach.objects.filter(pk=breach.pk).update(pwn_count=0)
        breach.pwn_count = 0
    if created or breach.pwn_count == 0:
        path = Path(settings.DATA_DIR) / "demo-dump.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        write_demo_dump(path)
        job = import_create(
            breach=breach, path=path, source_name=path.name, delete_file=True, queue=False
        )
        import_run(job)
        breach.refresh_from_db()
    if breach.published_at is None and breach.pwn_count:
        breach_publish(breach=breach)
    return breach

"""Province names for the region counts of an import, in the reader's language.

Imports record where numbers are registered as the Chinese name that
``phonenumbers``' geocoder gives ("广东省", but also "内蒙古呼和浩特市" or
"中国" when only the country is known), or a region code for foreign numbers.
"""

from functools import lru_cache

import phonenumbers
from django.utils import translation
from django.utils.translation import gettext as _
from phonenumbers import geocoder

# Unknown province of a Chinese number (a virtual operator's, or a new range).
UNKNOWN = "CN"

# (short name the geocoder starts with, full Chinese name, English name)
PROVINCES = [
    ("北京", "北京市", "Beijing"),
    ("天津", "天津市", "Tianjin"),
    ("上海", "上海市", "Shanghai"),
    ("重庆", "重庆市", "Chongqing"),
    ("河北", "河北省", "Hebei"),
    ("山西", "山西省", "Shanxi"),
    ("辽宁", "辽宁省", "Liaoning"),
    ("吉林", "吉林省", "Jilin"),
    ("黑龙江", "黑龙江省", "Heilongjiang"),
    ("江苏", "江苏省", "Jiangsu"),
    ("浙江", "浙江省", "Zhejiang"),
    ("安徽", "安徽省", "Anhui"),
    ("福建", "福建省", "Fujian"),
    ("江西", "江西省", "Jiangxi"),
    ("山东", "山东省", "Shandong"),
    ("河南", "河南省", "Henan"),
    ("湖北", "湖北省", "Hubei"),
    ("湖南", "湖南省", "Hunan"),
    ("广东", "广东省", "Guangdong"),
    ("海南", "海南省", "Hainan"),
    ("四川", "四川省", "Sichuan"),
    ("贵州", "贵州省", "Guizhou"),
    ("云南", "云南省", "Yunnan"),
    ("陕西", "陕西省", "Shaanxi"),
    ("甘肃", "甘肃省", "Gansu"),
    ("青海", "青海省", "Qinghai"),
    ("台湾", "台湾省", "Taiwan"),
    ("内蒙古", "内蒙古自治区", "Inner Mongolia"),
    ("广西", "广西壮族自治区", "Guangxi"),
    ("西藏", "西藏自治区", "Tibet"),
    ("宁夏", "宁夏回族自治区", "Ningxia"),
    ("新疆", "新疆维吾尔自治区", "Xinjiang"),
    ("香港", "香港特别行政区", "Hong Kong"),
    ("澳门", "澳门特别行政区", "Macao"),
]
_ENGLISH = {full: english for _short, full, english in PROVINCES}


def province_of(description: str) -> str:
    """The full province name a geocoder description starts with, or UNKNOWN."""
    for short, full, _english in PROVINCES:
        if description.startswith(short):
            return full
    return UNKNOWN


def canonical(key: str) -> str:
    """One key per province, whatever shape an older report stored it in."""
    if not key or key in (UNKNOWN, "中国"):
        return UNKNOWN
    if key.isascii():
        return key  # a foreign region code
    return province_of(key) if province_of(key) != UNKNOWN else key


def label(key: str) -> str:
    """What a reader sees for a region key, in the active language."""
    key = canonical(key)
    english = not (translation.get_language() or "zh").startswith("zh")
    if key == UNKNOWN:
        return _("Unknown province")
    if key in _ENGLISH:
        return _ENGLISH[key] if english else key
    if key.isascii() and len(key) == 2:
        return _country_name(key, "en" if english else "zh") or key
    return key


@lru_cache(maxsize=512)
def _country_name(region: str, language: str) -> str:
    example = phonenumbers.example_number(region)
    return geocoder.country_name_for_number(example, language) if example else ""

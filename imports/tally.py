"""What an import has seen: counts and the dump's quality, never a number."""

from collections import Counter

from leaks.fastphones import verdict
from leaks.phones import VIRTUAL_OPERATOR_PREFIXES, Phone, region_name
from leaks.provinces import province_of

TOP_REGIONS = 10
_PROVINCES: dict[str, str] = {}


def province(phone: Phone) -> str:
    """Province for Chinese numbers, country for others; cached by number block."""
    if phone.country != "CN":
        return phone.country
    block = phone.e164[:10] if phone.kind == "mobile" else phone.e164[:7]
    if block not in _PROVINCES:
        _PROVINCES[block] = province_of(region_name(phone.e164, "zh"))
    return _PROVINCES[block]


class Tally:
    """Counts of one chunk or a whole import; plain mobiles are counted by block."""

    def __init__(self) -> None:
        self.rows = 0
        self.no_phone = 0
        self.valid = 0
        self.reasons: Counter[str] = Counter()
        self.kinds: Counter[str] = Counter()
        self.regions: Counter[str] = Counter()
        self.virtual_operator = 0
        # Valid plain mobiles by their first 7 digits: one dict update per row.
        self.blocks: dict[str, int] = {}

    def add_valid(self, phone: Phone) -> None:
        self.valid += 1
        self.kinds[phone.kind if phone.country == "CN" else "foreign"] += 1
        self.virtual_operator += phone.virtual_operator
        self.regions[province(phone)] += 1

    @property
    def invalid(self) -> int:
        return sum(self.reasons.values())

    def settle_blocks(self) -> None:
        """Fold the per-block counts into kinds, regions and virtual operators."""
        for block, count in self.blocks.items():
            national = block + "0000"
            kind = verdict(national)
            phone = Phone("+86" + national, "CN", national, kind, False)
            self.valid += count
            self.kinds[kind] += count
            self.regions[province(phone)] += count
            if kind == "mobile" and block.startswith(VIRTUAL_OPERATOR_PREFIXES):
                self.virtual_operator += count
        self.blocks = {}

    def as_dict(self) -> dict:
        self.settle_blocks()
        return {
            "rows": self.rows,
            "no_phone": self.no_phone,
            "valid": self.valid,
            "reasons": dict(self.reasons),
            "kinds": dict(self.kinds),
            "regions": dict(self.regions),
            "virtual_operator": self.virtual_operator,
        }

    @classmethod
    def combined(cls, parts: list[dict]) -> "Tally":
        total = cls()
        for part in parts:
            total.rows += part.get("rows", 0)
            total.no_phone += part.get("no_phone", 0)
            total.valid += part.get("valid", 0)
            total.reasons.update(part.get("reasons", {}))
            total.kinds.update(part.get("kinds", {}))
            total.regions.update(part.get("regions", {}))
            total.virtual_operator += part.get("virtual_operator", 0)
        return total

    def report(self) -> dict:
        self.settle_blocks()
        return {
            "rows": self.rows,
            "phone_values": self.rows - self.no_phone,
            "no_phone": self.no_phone,
            "invalid_reasons": dict(self.reasons.most_common()),
            "kinds": dict(self.kinds.most_common()),
            "virtual_operator": self.virtual_operator,
            "top_regions": dict(self.regions.most_common(TOP_REGIONS)),
        }

"""What the conversations know of the mission: areas, categories, languages."""

from __future__ import annotations

import math
from dataclasses import dataclass

from bot.config import DEFAULT_CATEGORIES, Config
from bot.domain.messages import Location
from bot.i18n.catalogue import _, current_language
from bot.i18n.formatting import language_name


@dataclass(frozen=True, slots=True)
class Place:
    code: str
    names: dict[str, str]
    latitude: float | None
    longitude: float | None


@dataclass(frozen=True, slots=True)
class Mission:
    """Config as the flows need it, with labels in the current turn's language."""

    default_language: str
    languages: tuple[str, ...]
    timezone: str
    areas: tuple[Place, ...]
    categories: tuple[str, ...]
    category_names: dict[str, dict[str, str]]
    sensitive: frozenset[str]

    @classmethod
    def from_config(cls, config: Config) -> Mission:
        return cls(
            default_language=config.bot.default_language,
            languages=tuple(config.bot.languages),
            timezone=config.bot.timezone,
            areas=tuple(Place(a.code, dict(a.names), a.latitude, a.longitude)
                        for a in config.areas),
            categories=tuple(c.code for c in config.categories),
            category_names={c.code: dict(c.names) for c in config.categories},
            sensitive=frozenset(config.moderation.sensitive_categories),
        )

    def area_name(self, code: str) -> str:
        for area in self.areas:
            if area.code == code:
                lang = current_language()
                return (area.names.get(lang) or area.names.get(self.default_language)
                        or code.replace("_", " ").title())
        return code

    def category_name(self, code: str) -> str:
        names = self.category_names.get(code, {})
        lang = current_language()
        if lang in names:
            return names[lang]
        label = DEFAULT_CATEGORIES.get(code)  # config makes the others name every language
        return _(label) if label else code  # (a category since removed from the config)

    def language_label(self, lang: str) -> str:
        return language_name(lang)

    def nearest_area(self, where: Location, max_km: float = 60.0) -> str | None:
        """The configured area nearest to a shared location, if one is close enough.

        Only the area is kept: the coordinates themselves are never stored.
        """
        best: tuple[float, str] | None = None
        for area in self.areas:
            if area.latitude is None or area.longitude is None:
                continue
            km = _haversine_km(where.latitude, where.longitude, area.latitude, area.longitude)
            if km <= max_km and (best is None or km < best[0]):
                best = (km, area.code)
        return best[1] if best else None


def _haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 6371.0 * 2 * math.asin(math.sqrt(a))

"""Words for realistic product names (Faker has no product provider)."""

from __future__ import annotations

import tdm

__all__ = ["product_name"]

_NOUNS = (
    "Desk Lamp", "Water Bottle", "Backpack", "Notebook", "Headphones", "Coffee Mug",
    "Running Shoes", "Wool Scarf", "Phone Case", "Cutting Board", "Yoga Mat", "Teapot",
    "Wall Clock", "Throw Pillow", "Bluetooth Speaker", "Chef's Knife", "Rain Jacket",
    "Board Game", "Plant Pot", "Travel Mug",
)  # fmt: skip
_ADJECTIVES = (
    "Classic", "Compact", "Deluxe", "Eco", "Handmade", "Lightweight", "Modern", "Premium",
    "Rustic", "Smart", "Vintage", "Everyday",
)  # fmt: skip


def product_name(gen: tdm.DataGen) -> str:
    """``"Rustic Teal Teapot"``: an adjective, a colour and a noun."""
    return f"{gen.choice(list(_ADJECTIVES))} {gen.faker.color_name()} {gen.choice(list(_NOUNS))}"

"""What the suite orders: plenty of most SKUs, a few that run out, some orders over the limit."""

import random
from dataclasses import dataclass
from decimal import Decimal

from eventcollab.models import OrderLine

PLENTIFUL = ("CRASH-KEYBOARD", "CRASH-MOUSE", "CRASH-SCREEN", "CRASH-CABLE", "CRASH-DOCK")
SCARCE = ("CRASH-LAMP", "CRASH-CHAIR")
RESTOCK_UNITS = 10_000  # the most one AddStock may add
OVER_LIMIT_PRICE = Decimal("6000.00")  # above the default payment limit of 5000.00
EVERY_SCARCE = 15  # about one order in 15 asks for a scarce SKU
EVERY_OVER_LIMIT = 20  # about one order in 20 is over the payment limit


@dataclass(frozen=True)
class Catalog:
    """Stock sized from the orders a run places: at least `workflows`, at most `most`."""

    workflows: int
    most: int

    def restocks(self) -> list[tuple[str, int]]:
        """(SKU, units) per AddStock: plentiful SKUs outlast the run, scarce ones do not."""
        # An order takes 0.8 units of a plentiful SKU on average (2 lines of 2 units over 5 SKUs):
        # two units per order is a wide margin.
        batches = -(-self.most * 2 // RESTOCK_UNITS)
        plentiful = [(sku, RESTOCK_UNITS) for sku in PLENTIFUL for _ in range(batches)]
        # A scarce line takes one unit: at most half of the orders that want one get it.
        scarce_units = max(2, self.workflows // (EVERY_SCARCE * len(SCARCE) * 2))
        return plentiful + [(sku, scarce_units) for sku in SCARCE]

    def order(self, chance: random.Random) -> tuple[OrderLine, ...]:
        count = chance.randint(1, 3)
        lines = [
            OrderLine(sku=sku, quantity=chance.randint(1, 3), unit_price=price(chance))
            for sku in chance.sample(PLENTIFUL, count)
        ]
        if chance.randrange(EVERY_OVER_LIMIT) == 0:
            lines[0] = lines[0].model_copy(update={"unit_price": OVER_LIMIT_PRICE})
        if chance.randrange(EVERY_SCARCE) == 0:
            # Last, so that the lines before it are reserved first and must be released.
            scarce = OrderLine(sku=chance.choice(SCARCE), quantity=1, unit_price=price(chance))
            lines.append(scarce)
        return tuple(lines)


def price(chance: random.Random) -> Decimal:
    return Decimal(chance.randint(100, 30_000)) / 100

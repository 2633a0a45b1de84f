"""The aggregate keeps its state incrementally; it must equal a fresh fold."""

from __future__ import annotations

import random

from domain.config import load_config
from domain.fold import fold
from tests.support import one_deal


def test_the_incremental_state_equals_a_fold_of_the_whole_history() -> None:
    rng = random.Random(11)
    config = load_config()
    deals = [one_deal(f"K-{i}", rng, config) for i in range(300)]
    assert sum(len(d.entries) for d in deals) > 3000
    assert any(e.event == "EntryRetracted" for d in deals for e in d.entries)
    for deal in deals:
        assert deal.state == fold(deal.entries), deal.key

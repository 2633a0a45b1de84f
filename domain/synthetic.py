"""Seeded synthetic deals: realistic progressions through the stages, with
forced advances (which cost deals, as the article says), losses, nurtures,
reopens, values and re-estimates, back-dated entries and retractions,
entered through the aggregate's own rules and saved many deals per
transaction. The demo's team history, the tests' generated stores and the
benchmarks' are made here."""

from __future__ import annotations

import contextlib
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from domain.application import SalesProcess
from domain.config import ProcessConfig
from domain.errors import SalesProcessError
from domain.opportunity import Opportunity
from domain.vocabulary import (
    ActivityKind,
    AssessmentElement,
    AssessmentFactor,
    CustomerStep,
    LossReason,
    Role,
    Stage,
)

START = datetime(2023, 1, 2, tzinfo=UTC)
END = datetime(2026, 11, 1, tzinfo=UTC)
KINDS = list(ActivityKind)
STEPS = list(CustomerStep)


class _Clock:
    def __init__(self, rng: random.Random, start: datetime) -> None:
        self.rng, self.now = rng, start

    def tick(self, most_days: int = 9) -> datetime:
        self.now = min(
            self.now + timedelta(days=self.rng.randint(0, most_days), hours=self.rng.randint(0, 9)),
            END,
        )
        return self.now


def _activities(deal: Opportunity, rng: random.Random, clock: _Clock, n: int) -> None:
    for _ in range(n):
        at = clock.tick(6)
        if rng.random() < 0.1:  # a visit logged a week late
            at = max(at - timedelta(days=7), deal.state.opened_at or at)
        deal.hold_activity(rng.choice(KINDS), f"person {rng.randint(1, 9)}", "ok", at, "gen")


def _gate(deal: Opportunity, rng: random.Random, clock: _Clock, p_force: float) -> bool:
    """Advance, or force past what is missing; False if the deal stops here."""
    at = clock.tick()
    unmet = deal.state.unmet_of(deal.state.stage)
    if not unmet:
        deal.advance(at, "gen")
    elif rng.random() < p_force and deal.state.stage is not Stage.negotiation:
        deal.force("customer moved fast", "director", at, "gen")
    else:
        return False
    if rng.random() < 0.05:  # moved by mistake: taken back, moved again later
        deal.retract(deal.version, "moved the wrong deal", clock.tick(1), "gen")
        _gate(deal, rng, clock, 1.0)
    return True


@dataclass(frozen=True)
class Population:
    """Whose deals, with which customers, opened when."""

    start: datetime = START
    #: Deals are opened within this many days of ``start``.
    days: int = 1000
    owners: tuple[str, ...] = tuple(f"owner{n}" for n in range(1, 41))
    customers: tuple[str, ...] = tuple(f"Customer {n}" for n in range(1, 5001))


GENERATED = Population()


def one_deal(
    key: str, rng: random.Random, config: ProcessConfig, people: Population = GENERATED
) -> Opportunity:
    """One synthetic deal, seeded."""
    clock = _Clock(rng, people.start + timedelta(days=rng.randint(0, people.days)))
    deal = Opportunity.open(
        key,
        rng.choice(people.customers),
        "Lubricants",
        rng.choice(people.owners),
        None,
        clock.now,
        "gen",
        value=Decimal(rng.randint(5, 900) * 1000) if rng.random() < 0.7 else None,
    )
    # the clock may run into the end of the generated period: the deal stops there
    with contextlib.suppress(SalesProcessError):
        _play(deal, rng, clock, config)
    return deal


def _play(deal: Opportunity, rng: random.Random, clock: _Clock, config: ProcessConfig) -> None:
    if rng.random() < 0.05:
        deal.correct_details(
            "misspelt", clock.tick(2), "gen", customer=f"{deal.state.customer} Ltd"
        )
    for element in rng.sample(list(AssessmentElement), rng.randint(2, 6)):
        deal.collect(element, "noted", clock.tick(3), "gen")
    deal.observe_customer_step(rng.choice(STEPS[:3]), clock.tick(), "gen")
    _activities(deal, rng, clock, rng.randint(1, 4))
    fail = rng.random() < 0.15
    scores = {f: rng.randint(3, 5) for f in AssessmentFactor}
    if fail:
        scores[AssessmentFactor.funding] = 1
    if rng.random() < 0.85:
        deal.assess(scores, config, clock.tick(), "gen")
    if fail:
        if rng.random() < 0.5:
            deal.abandon("assessment failed", clock.tick(), "gen")
            return
        deal.nurture("lower the contact level", clock.tick(), "gen")
        if rng.random() < 0.5:
            return
        deal.reopen("funding found", clock.tick(60), "gen")
    graded_at = clock.tick()
    deal.grade_by_rule(
        rng.random(),
        (graded_at + timedelta(days=rng.randint(10, 300))).date(),
        config,
        graded_at,
        "gen",
    )
    for stage in (Stage.development, Stage.entry, Stage.proposal, Stage.bidding, Stage.negotiation):
        if rng.random() < 0.12:
            return  # still open: in progress at the end of the data
        # A deal forced past its milestones leaves the funnel more often.
        if rng.random() < 0.1 + 0.15 * len(deal.state.forced_advances):
            _close(deal, rng, clock)
            return
        if rng.random() < 0.2:  # a new estimate, up or down
            old = deal.state.value or Decimal(100000)
            deal.estimate_value(
                old * Decimal(rng.choice((8, 9, 11, 12, 15))) / 10, clock.tick(), "gen"
            )
        _work(deal, stage, rng, clock)
        if not _gate(deal, rng, clock, 0.3):
            _close(deal, rng, clock)
            return
    if deal.state.outcome.value == "won" and rng.random() < 0.3:  # graded again once signed
        at = clock.tick()
        deal.grade_by_rule(rng.random(), (at + timedelta(days=400)).date(), config, at, "gen")
    deal.evaluate_trial("good", clock.tick(30), "gen")
    if rng.random() < 0.7:
        deal.follow_up_oil_analysis("clean", clock.tick(30), "gen")


def _work(deal: Opportunity, stage: Stage, rng: random.Random, clock: _Clock) -> None:
    _activities(deal, rng, clock, rng.randint(0, 3))
    if stage is Stage.development and rng.random() < 0.3:
        deal.identify_stakeholder("insider-early", Role.technical, 0.2, clock.tick(), "gen")
    if stage is Stage.entry:
        if rng.random() < 0.75:
            deal.find_insider(f"insider {rng.randint(1, 3)}", clock.tick(), "gen")
        if rng.random() < 0.8:
            deal.engage_key_person("key person", clock.tick(), "gen")
        if rng.random() < 0.1 and deal.state.stakeholders:
            name = next(iter(deal.state.stakeholders))
            deal.stakeholder_left(name, "moved", clock.tick(), "gen")
        deal.shortlist(clock.tick(), "gen")
    if stage is Stage.proposal and rng.random() < 0.7:
        deal.influence_standard(["drain interval"], clock.tick(), "gen")
        if rng.random() < 0.05:
            deal.retract(deal.version, "wrong deal", clock.tick(), "gen")
    if stage is Stage.bidding:
        deal.receive_tender(None, clock.tick(), "gen")
        if rng.random() < 0.9:
            deal.submit_bid(Decimal(rng.randint(1, 900) * 1000), 0.15, False, clock.tick(), "gen")
    # Each milestone forced past halves the chance of signing (the article's claim).
    if stage is Stage.negotiation and rng.random() < 0.8 * 0.5 ** len(deal.state.forced_advances):
        deal.approve_contract(clock.tick(), "gen")
        value = deal.state.value
        signed = (value * rng.choice((9, 10, 10, 11)) / 10).quantize(Decimal(1)) if value else None
        deal.sign(signed if rng.random() < 0.8 else None, clock.tick(), "gen")


def _close(deal: Opportunity, rng: random.Random, clock: _Clock) -> None:
    if deal.state.outcome.value != "open":
        return
    r = rng.random()
    if r < 0.6:
        deal.lose(
            rng.choice(list(LossReason)), f"Competitor {rng.randint(1, 9)}", clock.tick(), "gen"
        )
    elif r < 0.75:
        deal.withdraw("standard against us", clock.tick(), "gen")
    elif r < 0.9:
        deal.nurture("maintain", clock.tick(), "gen")
    else:
        deal.abandon("not worth it", clock.tick(), "gen")


def generate(process: SalesProcess, events: int, seed: int = 7, batch: int = 200) -> int:
    """Save deals until about ``events`` events are stored; returns the count."""
    rng = random.Random(seed)
    total, n = 0, 0
    while total < events:
        deals = []
        for _ in range(batch):
            deals.append(one_deal(f"GEN-{seed}-{n:07d}", rng, process.config))
            n += 1
        process.save(*deals)
        total += sum(d.version for d in deals)
    return total


def save_deals(
    process: SalesProcess, keys: list[str], seed: int, people: Population, batch: int = 200
) -> int:
    """Save one synthetic deal per key; returns the number of events."""
    rng, total = random.Random(seed), 0
    for i in range(0, len(keys), batch):
        deals = [one_deal(k, rng, process.config, people) for k in keys[i : i + batch]]
        process.save(*deals)
        total += sum(d.version for d in deals)
    return total

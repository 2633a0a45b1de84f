"""Fixtures and helpers of the domain specification.

Deals are opened on 2026-07-01 09:00 UTC (``day(0)``); every business time in
the specification is a whole number of days after that, all in the past.
``walk_to`` meets each stage's milestones and advances, one fact a day: a
walked deal enters entry on ``day(3)``, proposal on ``day(6)``, bidding on
``day(8)``, negotiation on ``day(10)`` and implementation on ``day(13)``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from domain.config import ProcessConfig, load_config
from domain.opportunity import Opportunity
from domain.vocabulary import AssessmentFactor, Grade, Milestone, Stage

OPENED_AT = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)
KEY = "NX-2026-031"
SELLER = "li.wei"
APPROVER = "director.zhang"
INSIDER = "Wang (purchasing)"
KEY_PERSON = "Zhao (chief engineer)"


def day(n: int, hours: int = 0) -> datetime:
    """Business time ``n`` days (and ``hours``) after the deal was opened."""
    return OPENED_AT + timedelta(days=n, hours=hours)


def scores(default: int = 4, **by_factor: int) -> dict[AssessmentFactor, int]:
    """A full score sheet of the evaluation model: ``default`` for every factor
    not named in ``by_factor``."""
    return {f: by_factor.get(f.value, default) for f in AssessmentFactor}


def open_deal(key: str = KEY, at: datetime = OPENED_AT) -> Opportunity:
    """A new deal in ``development``, opened at ``at``."""
    return Opportunity.open(
        key=key,
        customer="Ningxia Coal Chemical",
        title="Gear and hydraulic oils for the new plant",
        owner=SELLER,
        tender_expected=date(2026, 11, 15),
        at=at,
        by=SELLER,
    )


def meet(deal: Opportunity, milestone: Milestone, config: ProcessConfig, at: datetime) -> None:
    """Record the fact that meets ``milestone`` at ``at``."""
    match milestone:
        case Milestone.opportunity_assessed:
            deal.assess(scores(), config, at, SELLER)
        case Milestone.customer_graded:
            deal.grade_by_hand(Grade.A, "strategic plant project", at, SELLER)
        case Milestone.insider_found:
            deal.find_insider(INSIDER, at, SELLER)
        case Milestone.key_person_engaged:
            deal.engage_key_person(KEY_PERSON, at, SELLER)
        case Milestone.standard_influenced:
            deal.influence_standard(["ISO VG 320 with FZG stage 12"], at, SELLER)
        case Milestone.bid_submitted:
            deal.submit_bid(Decimal("1250000.00"), 0.18, False, at, SELLER)
        case Milestone.contract_approved:
            deal.approve_contract(at, SELLER)
        case Milestone.contract_signed:
            deal.sign(Decimal("1250000.00"), at, SELLER)
        case Milestone.trial_evaluated:
            deal.evaluate_trial("gearbox temperature down 6 K", at, SELLER)
        case Milestone.oil_analysis_followed_up:
            deal.follow_up_oil_analysis("viscosity within 5% after 500 h", at, SELLER)


def meet_stage(deal: Opportunity, config: ProcessConfig, at: datetime) -> datetime:
    """Meet every unmet milestone of the deal's stage, one a day from ``at``;
    returns the time of the last one (``at`` itself when nothing was unmet)."""
    t = at
    for i, milestone in enumerate(deal.state.unmet_of(deal.state.stage)):
        t = at + timedelta(days=i)
        meet(deal, milestone, config, t)
    return t


def walk_to(deal: Opportunity, stage: Stage, config: ProcessConfig) -> datetime:
    """Meet each stage's milestones and advance until the deal is in ``stage``,
    one fact a day from ``day(1)``; returns the time of the last move."""
    t = deal.state.last_move_at or OPENED_AT
    while deal.state.stage is not stage:
        t = meet_stage(deal, config, t + timedelta(days=1)) + timedelta(days=1)
        deal.advance(t, SELLER)
    return t


@pytest.fixture
def config() -> ProcessConfig:
    """The built-in process configuration."""
    return load_config()


@pytest.fixture
def deal() -> Opportunity:
    """A deal just opened, in ``development``."""
    return open_deal()

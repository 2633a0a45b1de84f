"""The ubiquitous language of shared/domain.md: every id, spelled exactly so."""

from __future__ import annotations

from enum import StrEnum

#: A deal's business key: 1-64 ASCII letters, digits, '-', '_' and '.'.
KEY_PATTERN = r"^[A-Za-z0-9._-]{1,64}$"


class Stage(StrEnum):
    """Our sales stage; stage N mirrors the customer's procurement step N."""

    development = "development"
    entry = "entry"
    proposal = "proposal"
    bidding = "bidding"
    negotiation = "negotiation"
    implementation = "implementation"

    @property
    def number(self) -> int:
        """1-based position in the process."""
        return _STAGE_NUMBER[self]

    def next(self) -> Stage:
        """The stage after this one (the last stage has none)."""
        return STAGES[STAGES.index(self) + 1]

    @property
    def milestones(self) -> tuple[Milestone, ...]:
        """The key milestones required to leave this stage."""
        return STAGE_MILESTONES[self]


class CustomerStep(StrEnum):
    """The customer's procurement step, as observed."""

    need_initiation = "need_initiation"
    supplier_screening = "supplier_screening"
    criteria_definition = "criteria_definition"
    tender_evaluation = "tender_evaluation"
    purchase_commitment = "purchase_commitment"
    trial_and_purchase = "trial_and_purchase"

    @property
    def mirrored_stage(self) -> Stage:
        """The sales stage that mirrors this step one-to-one."""
        return _MIRRORED[self]


class Milestone(StrEnum):
    """The ten key milestones (关键节点)."""

    opportunity_assessed = "opportunity_assessed"
    customer_graded = "customer_graded"
    insider_found = "insider_found"
    key_person_engaged = "key_person_engaged"
    standard_influenced = "standard_influenced"
    bid_submitted = "bid_submitted"
    contract_approved = "contract_approved"
    contract_signed = "contract_signed"
    trial_evaluated = "trial_evaluated"
    oil_analysis_followed_up = "oil_analysis_followed_up"

    @property
    def stage(self) -> Stage:
        """The stage this milestone belongs to."""
        return MILESTONE_STAGE[self]

    @property
    def work_items(self) -> tuple[str, ...]:
        """What the milestone asks of the salesperson, in order."""
        return WORK_ITEMS[self]


class AssessmentElement(StrEnum):
    """The six assessment elements to collect (关键评估元素)."""

    needs = "needs"
    schedule = "schedule"
    budget = "budget"
    competition = "competition"
    decision = "decision"
    priorities = "priorities"


class AssessmentFactor(StrEnum):
    """The nine factors of the evaluation model (评估模型)."""

    project_level = "project_level"
    funding = "funding"
    technical_fit = "technical_fit"
    relationship = "relationship"
    customer_credit = "customer_credit"
    product = "product"
    price = "price"
    solution = "solution"
    service = "service"


class Grade(StrEnum):
    """Customer grade, A (soonest, likeliest) to D."""

    A = "A"
    B = "B"
    C = "C"
    D = "D"

    @property
    def engagement(self) -> Engagement:
        """The effort policy the article attaches to the grade."""
        return ENGAGEMENT[self]


class Engagement(StrEnum):
    """How much effort a grade deserves."""

    pursue = "pursue"
    limit_time = "limit_time"
    monitor = "monitor"
    deprioritize = "deprioritize"


class Role(StrEnum):
    """A stakeholder's role in the buying organisation."""

    decision_maker = "decision_maker"
    purchasing = "purchasing"
    technical = "technical"
    user = "user"
    designer = "designer"
    executive = "executive"
    other = "other"


class ActivityKind(StrEnum):
    """Kinds of work done with the customer."""

    visit = "visit"
    call = "call"
    demo = "demo"
    company_visit = "company_visit"
    reference_visit = "reference_visit"
    proposal = "proposal"
    executive_visit = "executive_visit"
    negotiation = "negotiation"


class Outcome(StrEnum):
    """Where the deal stands as a whole."""

    open = "open"
    won = "won"
    lost = "lost"
    withdrawn = "withdrawn"
    abandoned = "abandoned"
    nurture = "nurture"

    @property
    def is_closed(self) -> bool:
        """Lost, withdrawn and abandoned deals accept nothing but retractions."""
        return self in CLOSED_OUTCOMES


class LossReason(StrEnum):
    """Why a deal was lost."""

    price = "price"
    specification = "specification"
    relationship = "relationship"
    technical_fit = "technical_fit"
    funding = "funding"
    incumbent = "incumbent"
    project_cancelled = "project_cancelled"
    timing = "timing"
    other = "other"


class Alignment(StrEnum):
    """Our stage read against the customer's step."""

    unknown = "unknown"
    behind = "behind"
    ahead = "ahead"
    aligned = "aligned"


STAGES: tuple[Stage, ...] = tuple(Stage)
_STAGE_NUMBER = {stage: n for n, stage in enumerate(STAGES, 1)}
_MIRRORED = dict(zip(CustomerStep, STAGES, strict=True))
CLOSED_OUTCOMES = frozenset({Outcome.lost, Outcome.withdrawn, Outcome.abandoned})

STAGE_MILESTONES: dict[Stage, tuple[Milestone, ...]] = {
    Stage.development: (Milestone.opportunity_assessed, Milestone.customer_graded),
    Stage.entry: (Milestone.insider_found, Milestone.key_person_engaged),
    Stage.proposal: (Milestone.standard_influenced,),
    Stage.bidding: (Milestone.bid_submitted,),
    Stage.negotiation: (Milestone.contract_approved, Milestone.contract_signed),
    Stage.implementation: (Milestone.trial_evaluated, Milestone.oil_analysis_followed_up),
}
MILESTONE_STAGE: dict[Milestone, Stage] = {m: s for s, ms in STAGE_MILESTONES.items() for m in ms}
MILESTONES: tuple[Milestone, ...] = tuple(Milestone)

ENGAGEMENT: dict[Grade, Engagement] = {
    Grade.A: Engagement.pursue,
    Grade.B: Engagement.limit_time,
    Grade.C: Engagement.monitor,
    Grade.D: Engagement.deprioritize,
}

WORK_ITEMS: dict[Milestone, tuple[str, ...]] = {
    Milestone.opportunity_assessed: (
        "collect the six assessment elements (needs, schedule, budget, competition,"
        " decision, priorities)",
        "score the opportunity in the evaluation model",
        "if it fails, abandon it or lower the contact level",
    ),
    Milestone.customer_graded: (
        "estimate the time to close and the likelihood of closing",
        "grade the customer A/B/C/D and plan the effort by grade",
    ),
    Milestone.insider_found: (
        "confirm the project information",
        "find an insider",
        "through the insider learn the buying organisation, the roles and each"
        " person's weight in the decision",
    ),
    Milestone.key_person_engaged: (
        "identify the key persons in the decision",
        "build a relationship with them and keep good relations with the other participants",
        "aim to be short-listed",
    ),
    Milestone.standard_influenced: (
        "show the product and solution (demo, company visit, reference-customer visit, proposal)",
        "shape the customer's procurement standard around our strengths",
    ),
    Milestone.bid_submitted: (
        "write the bid from the tender document",
        "analyse cost and margin",
        "set the price position",
        "submit the bid or negotiate it",
    ),
    Milestone.contract_approved: (
        "arrange an executive visit",
        "negotiate the terms",
        "get the contract approved",
    ),
    Milestone.contract_signed: ("sign the supply contract",),
    Milestone.trial_evaluated: (
        "deliver, run the trial and evaluate its results with the customer",
    ),
    Milestone.oil_analysis_followed_up: (
        "follow up usage and oil analysis",
        "build the long-term relationship",
    ),
}

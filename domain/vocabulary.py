"""The ubiquitous language of shared/domain.md: every id, spelled exactly so.

Which milestones each stage requires, and what each asks of the salesperson,
is the process table's (``domain.process``)."""

from __future__ import annotations

from enum import StrEnum

#: A deal's business key: 1-64 ASCII letters, digits, '-', '_' and '.'.
KEY_PATTERN = r"^[A-Za-z0-9._-]{1,64}$"
#: The longest name (a person, a customer) and free text (a note, a reason) kept.
NAME_MAX = 200
TEXT_MAX = 2000


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
MILESTONES: tuple[Milestone, ...] = tuple(Milestone)
CLOSED_OUTCOMES = frozenset({Outcome.lost, Outcome.withdrawn, Outcome.abandoned})

ENGAGEMENT: dict[Grade, Engagement] = {
    Grade.A: Engagement.pursue,
    Grade.B: Engagement.limit_time,
    Grade.C: Engagement.monitor,
    Grade.D: Engagement.deprioritize,
}

"""The standard process as data: the stages and their key milestones, what
each milestone asks of the salesperson, and every write command: the fact it
records, where it is accepted and what it changes.

Every rule and reader derives from these tables: the aggregate's guards, the
fold that computes a deal's state, time travel in SQL (``pipeline --as-of``),
pipeline movement. Read it top to bottom as the process itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from domain import events as ev
from domain.vocabulary import STAGES, Milestone, Outcome, Stage
from domain.work_items import WORK_ITEMS

# -- 1. The stages and their key milestones (all required to leave the stage) --

STAGE_MILESTONES: dict[Stage, tuple[Milestone, ...]] = {
    Stage.development: (Milestone.opportunity_assessed, Milestone.customer_graded),
    Stage.entry: (Milestone.insider_found, Milestone.key_person_engaged),
    Stage.proposal: (Milestone.standard_influenced,),
    Stage.bidding: (Milestone.bid_submitted,),
    Stage.negotiation: (Milestone.contract_approved, Milestone.contract_signed),
    Stage.implementation: (Milestone.trial_evaluated, Milestone.oil_analysis_followed_up),
}

#: Milestones that a forced advance may not skip: a win cannot be forced.
NOT_FORCEABLE: dict[Stage, tuple[Milestone, ...]] = {
    Stage.negotiation: (Milestone.contract_signed,),
}

# -- 2. What each milestone asks of the salesperson: domain.work_items --------

# -- 3. The write commands ------------------------------------------------------


class Kind(StrEnum):
    """What a command does to the deal as a whole."""

    opening = "opening"  # the deal begins (``development``, ``open``)
    fact = "fact"  # a fact of the deal; stage and outcome stay
    move = "move"  # the deal moves to the next stage
    outcome = "outcome"  # the deal's outcome changes
    details = "details"  # the deal's own details put right, in every view
    correction = "correction"  # an earlier entry is said to be wrong


class Meets(StrEnum):
    """How a command's fact bears on its milestone."""

    met = "met"  # met from then on
    verdict = "verdict"  # met when the fact's verdict passed, unmet when it failed
    while_present = "while present"  # met while a person it names remains


class Person(StrEnum):
    """What a command's fact says of the person it names."""

    joins = "joins"  # a member of the buying organisation (again)
    leaves = "leaves"  # left it, or turned against us


#: The outcomes in which the deal is worked: everything but the closed ones.
WORKING = (Outcome.open, Outcome.won, Outcome.nurture)
OPEN = (Outcome.open,)
OPEN_OR_WON = (Outcome.open, Outcome.won)
ANY_OUTCOME = tuple(Outcome)


@dataclass(frozen=True)
class Step:
    """One write command of the process.

    ``stages``: where it is accepted (and, when that is not every stage, it
    must be dated no earlier than the deal entered its stage). ``needs``:
    milestones met before it. ``once``: refused once its milestone is met.
    ``counted_as``: its name in pipeline movement (and how a stay it ends
    was left). ``unmet_as``: why its milestone ended, when its verdict failed.
    ``value``: the fact's member that values the deal (an estimate, a bid's
    price; a won outcome's value is the contract's, which stands over them).
    ``outcome_from``: the member naming the outcome of a fact that sets one of
    several. ``imported``: a CRM's fact, kept with its source row.
    """

    command: str
    event: type[ev.DealEvent]
    outcomes: tuple[Outcome, ...]
    stages: tuple[Stage, ...] = STAGES
    kind: Kind = Kind.fact
    meets: Milestone | None = None
    how: Meets = Meets.met
    person: Person | None = None
    outcome: Outcome | None = None
    counted_as: str | None = None
    needs: tuple[Milestone, ...] = ()
    once: bool = False
    unmet_as: str = ""
    value: str | None = None
    outcome_from: str | None = None
    imported: bool = False

    @property
    def stage_bound(self) -> bool:
        """Accepted in some stages only (a stage move: all but the last)."""
        return self.stages != STAGES

    @property
    def after_last_move(self) -> bool:
        """Dated no earlier than the deal's last stage move or outcome."""
        return self.kind in (Kind.move, Kind.outcome)


_LAST = STAGES[-1]
_MOVABLE = STAGES[:-1]

STEPS: tuple[Step, ...] = (
    # The deal begins in development.
    Step("open", ev.Opened, (), kind=Kind.opening, counted_as="new", value="value"),
    # In any stage, while the deal is worked (open, won or nurtured).
    Step("customer-step", ev.CustomerStepObserved, WORKING),
    Step("collect", ev.AssessmentElementCollected, WORKING),
    Step(
        "assess",
        ev.Assessed,
        WORKING,
        meets=Milestone.opportunity_assessed,
        how=Meets.verdict,
        unmet_as="assessment failed",
    ),
    Step("grade", ev.Graded, WORKING, meets=Milestone.customer_graded),
    Step("stakeholder", ev.StakeholderIdentified, WORKING, person=Person.joins),
    Step(
        "stakeholder-left",
        ev.StakeholderLeft,
        WORKING,
        person=Person.leaves,
        unmet_as="stakeholder left",
    ),
    Step(
        "insider",
        ev.InsiderFound,
        WORKING,
        meets=Milestone.insider_found,
        how=Meets.while_present,
        person=Person.joins,
    ),
    Step(
        "engage",
        ev.KeyPersonEngaged,
        WORKING,
        meets=Milestone.key_person_engaged,
        how=Meets.while_present,
        person=Person.joins,
    ),
    Step("activity", ev.ActivityHeld, WORKING),
    Step("shortlist", ev.ShortListed, WORKING),
    Step("influence", ev.StandardInfluenced, WORKING, meets=Milestone.standard_influenced),
    Step("tender", ev.TenderReceived, WORKING),
    # While the deal is still to be won: open, or kept to nurture.
    Step("estimate", ev.ValueEstimated, (Outcome.open, Outcome.nurture), value="value"),
    # Bound to their stage.
    Step(
        "bid",
        ev.BidSubmitted,
        OPEN,
        (Stage.bidding,),
        meets=Milestone.bid_submitted,
        value="price",
    ),
    Step(
        "approve-contract",
        ev.ContractApproved,
        OPEN_OR_WON,
        (Stage.negotiation,),
        meets=Milestone.contract_approved,
    ),
    Step(
        "sign",
        ev.ContractSigned,
        OPEN,
        (Stage.negotiation,),
        kind=Kind.outcome,
        meets=Milestone.contract_signed,
        outcome=Outcome.won,
        counted_as="won",
        needs=(Milestone.contract_approved,),
        once=True,
        value="value",
    ),
    Step(
        "trial",
        ev.TrialEvaluated,
        OPEN_OR_WON,
        (Stage.implementation,),
        meets=Milestone.trial_evaluated,
    ),
    Step(
        "oil-analysis",
        ev.OilAnalysisFollowedUp,
        OPEN_OR_WON,
        (Stage.implementation,),
        meets=Milestone.oil_analysis_followed_up,
    ),
    # Stage moves: through the gate, or forced past it; none out of the last stage.
    Step("advance", ev.StageAdvanced, OPEN_OR_WON, _MOVABLE, Kind.move, counted_as="advanced"),
    Step("force", ev.StageForced, OPEN_OR_WON, _MOVABLE, Kind.move, counted_as="forced"),
    # Outcomes.
    Step("lose", ev.Lost, OPEN, kind=Kind.outcome, outcome=Outcome.lost, counted_as="lost"),
    Step(
        "withdraw",
        ev.Withdrawn,
        OPEN,
        kind=Kind.outcome,
        outcome=Outcome.withdrawn,
        counted_as="withdrawn",
    ),
    Step(
        "abandon",
        ev.Abandoned,
        OPEN,
        kind=Kind.outcome,
        outcome=Outcome.abandoned,
        counted_as="abandoned",
    ),
    Step(
        "nurture",
        ev.Nurtured,
        OPEN,
        kind=Kind.outcome,
        outcome=Outcome.nurture,
        counted_as="nurtured",
    ),
    Step(
        "reopen",
        ev.Reopened,
        (Outcome.nurture,),
        kind=Kind.outcome,
        outcome=Outcome.open,
        counted_as="reopened",
    ),
    # A CRM's history (shared/import.md): its stage changes move the stage
    # without the gate, forward or back; its closings set won or lost.
    Step(
        "import-stage",
        ev.StageImported,
        OPEN,
        kind=Kind.move,
        counted_as="imported",
        imported=True,
    ),
    Step(
        "import-outcome",
        ev.OutcomeImported,
        OPEN,
        kind=Kind.outcome,
        outcome_from="outcome",
        counted_as="imported",
        imported=True,
    ),
    # Corrections, in any stage and outcome.
    Step("correct", ev.DetailsCorrected, ANY_OUTCOME, kind=Kind.details),
    Step("retract", ev.EntryRetracted, ANY_OUTCOME, kind=Kind.correction),
)

# -- What the readers derive ------------------------------------------------------

#: Each event class's step.
STEP_OF: dict[type[ev.DealEvent], Step] = {s.event: s for s in STEPS}
#: Each command's step, by its command-line name.
COMMAND: dict[str, Step] = {s.command: s for s in STEPS}
#: Events that change the outcome, and the outcome they set (an imported
#: outcome names its own: ``outcome_of``).
OUTCOME_OF: dict[type[ev.DealEvent], Outcome] = {
    s.event: s.outcome for s in STEPS if s.outcome is not None
}
#: Every event that changes the outcome.
OUTCOME_EVENTS = tuple(s.event for s in STEPS if s.kind is Kind.outcome)
#: Events whose outcome is one of their members, and the member.
OUTCOME_MEMBER: dict[type[ev.DealEvent], str] = {
    s.event: s.outcome_from for s in STEPS if s.outcome_from
}
#: The outcomes an imported outcome may set.
IMPORTED_OUTCOMES = (Outcome.won, Outcome.lost)
#: The CRM's facts.
IMPORTED: tuple[type[ev.DealEvent], ...] = tuple(s.event for s in STEPS if s.imported)
#: Events that move the stage.
MOVES: tuple[type[ev.DealEvent], ...] = tuple(s.event for s in STEPS if s.kind is Kind.move)
#: Events that meet their milestone outright, and the milestone.
EVIDENCE: dict[type[ev.DealEvent], Milestone] = {
    s.event: s.meets for s in STEPS if s.meets is not None and s.how is Meets.met
}
#: Events whose verdict decides their milestone.
VERDICTS: dict[type[ev.DealEvent], Milestone] = {
    s.event: s.meets for s in STEPS if s.meets is not None and s.how is Meets.verdict
}
#: Events about a person of the buying organisation.
PEOPLE: tuple[type[ev.DealEvent], ...] = tuple(s.event for s in STEPS if s.person is not None)
#: The milestones met while a person who brought them remains, and by which event.
WHILE_PRESENT: dict[type[ev.DealEvent], Milestone] = {
    s.event: s.meets for s in STEPS if s.meets is not None and s.how is Meets.while_present
}
#: Entries that can never be retracted: the opening and retractions.
UNRETRACTABLE: tuple[type[ev.DealEvent], ...] = tuple(
    s.event for s in STEPS if s.kind in (Kind.opening, Kind.correction)
)
#: Entries that need the stage they are recorded in (a bid, the contract, the
#: trial, the oil analysis): a stage move before one of them stands.
NEEDS_STAGE: dict[type[ev.DealEvent], tuple[Stage, ...]] = {
    s.event: s.stages for s in STEPS if s.stage_bound and s.kind is not Kind.move
}
#: Events that apply in every view of business time, from when they were recorded.
TIMELESS: tuple[type[ev.DealEvent], ...] = tuple(
    s.event for s in STEPS if s.kind in (Kind.details, Kind.correction)
)
#: Events that value the deal, and the member that holds the amount.
VALUES: dict[type[ev.DealEvent], str] = {s.event: s.value for s in STEPS if s.value}
#: Of those, the ones whose value is the contract's: it stands over every estimate.
CONTRACT_VALUES: tuple[type[ev.DealEvent], ...] = tuple(
    s.event for s in STEPS if s.value and s.outcome is Outcome.won
)
MILESTONE_STAGE: dict[Milestone, Stage] = {m: s for s, ms in STAGE_MILESTONES.items() for m in ms}


def outcome_of(fact: ev.DealEvent) -> Outcome | None:
    """The outcome an event sets, if it sets one."""
    cls = type(fact)
    if cls in OUTCOME_MEMBER:
        return Outcome(getattr(fact, OUTCOME_MEMBER[cls]))
    return OUTCOME_OF.get(cls)


def milestones_of(stage: Stage) -> tuple[Milestone, ...]:
    """The key milestones required to leave ``stage``."""
    return STAGE_MILESTONES[stage]


def stage_of(milestone: Milestone) -> Stage:
    """The stage a milestone belongs to."""
    return MILESTONE_STAGE[milestone]


def work_items(milestone: Milestone) -> tuple[str, ...]:
    """What the milestone asks of the salesperson, in order."""
    return WORK_ITEMS[milestone]


def _check_tables() -> None:
    """The tables agree with each other and with the events (at import: a
    table that disagrees is a programming error, never a silent gap)."""
    every = [m for ms in STAGE_MILESTONES.values() for m in ms]
    if sorted(every) != sorted(Milestone) or set(STAGE_MILESTONES) != set(Stage):
        raise TypeError("STAGE_MILESTONES must give every stage and every milestone once")
    if set(WORK_ITEMS) != set(Milestone):
        raise TypeError("WORK_ITEMS must give every milestone's work items")
    known = set(ev.event_classes().values())
    if set(STEP_OF) != known or len(STEP_OF) != len(STEPS):
        raise TypeError("every event class must be recorded by exactly one step")
    for s in STEPS:
        if (s.how is Meets.verdict) != issubclass(s.event, ev.Verdict):
            raise TypeError(f"{s.command}: a verdict is read from a Verdict event's 'passed'")
        if s.how is Meets.while_present and not issubclass(s.event, ev.PersonEvent):
            raise TypeError(f"{s.command}: met while present needs a person")
        if (s.kind is Kind.move) != issubclass(s.event, ev.StageMoved):
            raise TypeError(f"{s.command}: a stage move records a StageMoved event")
        if (s.outcome is None and s.outcome_from is None) == (s.kind is Kind.outcome):
            raise TypeError(f"{s.command}: an outcome command names its outcome")
        if s.outcome_from and s.outcome_from not in getattr(s.event, "__annotations__", {}):
            raise TypeError(f"{s.command}: its outcome is a member of {s.event.__name__}")
        if s.value and s.value not in getattr(s.event, "__annotations__", {}):
            raise TypeError(f"{s.command}: its value is a member of {s.event.__name__}")
        if s.kind in (Kind.opening, Kind.move, Kind.outcome) and not s.counted_as:
            raise TypeError(f"{s.command}: pipeline movement needs its name")


_check_tables()

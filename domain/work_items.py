"""What each key milestone asks of the salesperson: its next actions, in
order (the coach's work items; ``domain.process`` holds them with the rest
of the process)."""

from __future__ import annotations

from domain.vocabulary import Milestone

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

"""The cover every return carries: who is returning what, for which period; and the other
sheets and names every template has besides the framework's own.

The cover's items are part of every return type (the template writes them on the Cover sheet,
validation reads them), so their ids are reserved: no framework item may take one. The sheets
every template has (Cover, KPI summary, Checks, Explanations, Notes and the hidden metadata
sheet) and those carekpi adds to a feedback copy (Findings, KPI results) are reserved too, and
so are the names of the Checks sheet's cells (``check_<rule id>``...), which ``carekpi lint``
checks for clashes (F020).
"""

from __future__ import annotations

from carekpi.framework.model import FieldType, Framework, ItemField, ReturnType
from carekpi.framework.periods import Cadence

#: the sheets every template has besides the framework's own; their names are reserved
COVER_SHEET = "Cover"
SUMMARY_SHEET = "KPI summary"
CHECKS_SHEET = "Checks"
EXPLANATIONS_SHEET = "Explanations"
NOTES_SHEET = "Notes"
META_SHEET = "_carekpi"
#: the sheets carekpi puts first in a feedback copy of a return
FINDINGS_SHEET = "Findings"
KPI_RESULTS_SHEET = "KPI results"
RESERVED_SHEETS = frozenset(s.casefold() for s in (
    COVER_SHEET, SUMMARY_SHEET, CHECKS_SHEET, EXPLANATIONS_SHEET, NOTES_SHEET, META_SHEET, FINDINGS_SHEET,
    KPI_RESULTS_SHEET,
))

#: the defined name of the Explanations sheet's table (item, finding code, explanation)
EXPLANATIONS_TABLE = "explanations"
#: the defined name of the Checks sheet's count of open problems
OPEN_CHECKS_NAME = "checks_open"
#: the defined name of the check that the service types delivered are stated
SERVICES_CHECK_NAME = "check_services"


def rule_check_name(rule_id: str) -> str:
    """The defined name of the Checks sheet's cell that shows whether rule ``rule_id`` holds."""
    return f"check_{rule_id}"


def required_check_name(item_id: str) -> str:
    """The defined name of the Checks sheet's cell that shows whether required item ``item_id``
    is answered."""
    return f"check_required_{item_id}"

PERIOD_LABELS = {
    Cadence.monthly: ("Reporting month", "Any date in the month you are reporting on, e.g. 01/03/2026.", "mmmm yyyy"),
    Cadence.quarterly: (
        "Reporting quarter",
        "Any date in the quarter you are reporting on, e.g. 01/01/2026 for January-March 2026.",
        "dd/mm/yyyy",
    ),
    Cadence.four_weekly: (
        "Reporting period start",
        "The first day of the 4-week period you are reporting on.",
        "dd/mm/yyyy",
    ),
    Cadence.annual: (
        "Reporting year",
        "Any date in the year you are reporting on, e.g. 01/04/2025 for April 2025 to March 2026.",
        "dd/mm/yyyy",
    ),
}


#: the cover item that says which period a return is for
PERIOD_ITEM = "reporting_period"


def month_names_period(rtype: ReturnType) -> bool:
    """Whether a month names this return type's period completely (it lies in one month,
    quarter or year); a month does not name a 4-weekly period, which starts on any day."""
    return rtype.cadence != Cadence.four_weekly


def service_item_id(service_id: str) -> str:
    return f"delivers_{service_id}"


def cover_items(fw: Framework, rtype: ReturnType) -> list[ItemField]:
    """The cover's items, in the order the Cover sheet shows them (built once per framework
    and return type)."""
    return list(fw.memo(("cover_items", rtype.id), lambda: _cover_items(fw, rtype)))


def _cover_items(fw: Framework, rtype: ReturnType) -> tuple[ItemField, ...]:
    before, after = _fixed_items(fw.cqc_registered, rtype.cadence)
    services = [
        ItemField(
            id=service_item_id(s.id), label=f"Do you deliver {s.label}?", type=FieldType.yes_no,
            required=False, help="Yes or No. Items that apply only to other service types can then be left blank.",
        )
        for s in fw.service_types
    ]
    return (*before, *services, *after)


def fixed_cover_items(fw: Framework, rtype: ReturnType) -> list[ItemField]:
    """The cover's own items (every cover item but the service types' answers)."""
    before, after = _fixed_items(fw.cqc_registered, rtype.cadence)
    return [*before, *after]


def _fixed_items(cqc_registered: bool, cadence: Cadence) -> tuple[list[ItemField], list[ItemField]]:
    label, help_text, _ = PERIOD_LABELS[cadence]
    before = [
        ItemField(id="provider_name", label="Provider name", type=FieldType.text,
                  help="The registered name of your organisation."),
        ItemField(id="cqc_location_id", label="CQC location ID", type=FieldType.text, required=cqc_registered,
                  help="Your CQC location ID, e.g. 1-123456789." + ("" if cqc_registered else
                       " Leave blank if the service is not registered with CQC.")),
        ItemField(id=PERIOD_ITEM, label=label, type=FieldType.date, help=help_text),
    ]
    after = [
        ItemField(id="contact_name", label="Contact name", type=FieldType.text,
                  help="Who the council should contact about this return."),
        ItemField(id="contact_email", label="Contact email", type=FieldType.text, help="Email address of the contact."),
        ItemField(id="contact_phone", label="Contact telephone", type=FieldType.text, required=False,
                  help="Telephone number of the contact."),
    ]
    return before, after


#: the ids of the cover's own items (besides ``delivers_<service type>``): reserved for the cover
#: (written out rather than worked out at import: a test checks they are the items' ids)
COVER_NAMES = frozenset({"provider_name", "cqc_location_id", PERIOD_ITEM, "contact_name", "contact_email",
                         "contact_phone"})


def period_number_format(rtype: ReturnType) -> str:
    return PERIOD_LABELS[rtype.cadence][2]

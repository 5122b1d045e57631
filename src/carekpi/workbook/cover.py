"""The cover sheet every template carries: who is returning what, for which period."""

from __future__ import annotations

from carekpi.framework.model import Cadence, FieldType, Framework, ItemField, ReturnType

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


def service_item_id(service_id: str) -> str:
    return f"delivers_{service_id}"


def cover_items(fw: Framework, rtype: ReturnType) -> list[ItemField]:
    label, help_text, _ = PERIOD_LABELS[rtype.cadence]
    items = [
        ItemField(id="provider_name", label="Provider name", type=FieldType.text,
                  help="The registered name of your organisation."),
        ItemField(id="cqc_location_id", label="CQC location ID", type=FieldType.text, required=fw.cqc_registered,
                  help="Your CQC location ID, e.g. 1-123456789." + ("" if fw.cqc_registered else
                       " Leave blank if the service is not registered with CQC.")),
        ItemField(id="reporting_period", label=label, type=FieldType.date, help=help_text),
    ]
    for s in fw.service_types:
        items.append(ItemField(
            id=service_item_id(s.id), label=f"Do you deliver {s.label}?", type=FieldType.yes_no,
            required=False, help="Yes or No. Items that apply only to other service types can then be left blank.",
        ))
    items += [
        ItemField(id="contact_name", label="Contact name", type=FieldType.text,
                  help="Who the council should contact about this return."),
        ItemField(id="contact_email", label="Contact email", type=FieldType.text, help="Email address of the contact."),
        ItemField(id="contact_phone", label="Contact telephone", type=FieldType.text, required=False,
                  help="Telephone number of the contact."),
    ]
    return items


def period_number_format(rtype: ReturnType) -> str:
    return PERIOD_LABELS[rtype.cadence][2]

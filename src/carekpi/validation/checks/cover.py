"""The Cover sheet: the services delivered, the provider, the reporting period and its deadline."""

from __future__ import annotations

import re

from carekpi.base.enums import Severity
from carekpi.framework.cover import service_item_id
from carekpi.framework.periods import deadline_for, period_for
from carekpi.validation.checks.base import Check
from carekpi.validation.checks.items import V101
from carekpi.validation.context import CheckContext, Code
from carekpi.workbook.coerce import Coerced, quoted

V301 = Code("V301", "reporting period missing or not a valid date", Severity.error)
V302 = Code("V302", "reporting period is in the future", Severity.error)
V303 = Code("V303", "reporting period has not ended yet", Severity.warning)
V304 = Code("V304", "service types delivered not stated", Severity.error)
V305 = Code("V305", "CQC location ID is not in the usual form", Severity.warning)
V306 = Code("V306", "submission deadline", Severity.info)
V307 = Code("V307", "reporting period is before the framework version came into force", Severity.warning)

CQC_LOCATION_ID = re.compile(r"^1-\d{6,12}$")


def _has_error(c: Coerced) -> bool:
    return any(n.severity == Severity.error for n in c.notes)


class CoverCheck(Check):
    name = "cover"
    codes = (V301, V302, V303, V304, V305, V306, V307)

    def run(self, ctx: CheckContext) -> None:
        d, fw = ctx.data, ctx.fw
        answers = {s.id: ctx.coerced.get(service_item_id(s.id)) for s in fw.service_types}
        if fw.service_types:
            said = {sid for sid, c in answers.items() if c is not None and c.value == "Yes"}
            answered = [c for c in answers.values() if c is not None and c.value is not None]
            first = service_item_id(fw.service_types[0].id)
            if not answered:
                ctx.add(V304, "say which service types you deliver (Yes or No for each) on the Cover sheet; until "
                              "then every item is treated as applying to you", item=first)
            elif not said:
                ctx.add(V304, "the Cover sheet says you deliver none of the service types", item=first)
            else:
                d.services = frozenset(said)
        for item in ctx.cover:
            c = ctx.coerced.get(item.id)
            v = c.value if c else None
            d.values[item.id] = v
            if item.id == "reporting_period":
                self.check_period(ctx, c)
                continue
            if v is None and item.required and c is not None and not _has_error(c):
                ctx.add(V101, f"{item.label} is required", item=item.id)
        d.provider_name = d.values.get("provider_name")
        d.cqc_location_id = d.values.get("cqc_location_id")
        if d.cqc_location_id and not CQC_LOCATION_ID.match(d.cqc_location_id):
            ctx.add(V305, f"CQC location ID {quoted(d.cqc_location_id)} is not in the usual form 1-123456789",
                    item="cqc_location_id")

    @staticmethod
    def check_period(ctx: CheckContext, c: Coerced | None) -> None:
        if c is None:
            return
        if c.value is None:
            if not _has_error(c):
                ctx.add(V301, "the reporting period is missing: type a date in it", item="reporting_period")
            return
        period = period_for(ctx.rtype, c.value)
        ctx.data.period = period
        if period.start > ctx.today:
            ctx.add(V302, f"the reporting period {period.label} is in the future", item="reporting_period")
        elif period.end >= ctx.today:
            ctx.add(V303, f"the reporting period {period.label} has not ended yet", item="reporting_period")
        fw = ctx.fw
        if period.start < fw.effective_from:
            since = f"{fw.effective_from.day} {fw.effective_from:%B %Y}"
            ctx.add(V307, f"the reporting period {period.label} is before {fw.id} version {fw.version} came into force "
                          f"on {since}, and no earlier version was found: the return was validated against version "
                          f"{fw.version}, {ctx.version_basis}; check the reporting period", item="reporting_period")
        due = deadline_for(ctx.rtype, period)
        ctx.add(V306, f"the return for {period.label} is due by {due:%A} {due.day} {due:%B %Y}",
                item="reporting_period")

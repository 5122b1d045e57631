"""Who the providers of a market are, and which provider each return belongs to.

With ``--providers FILE.csv`` the market is the council's own list: one row per provider with
the columns ``provider_id,name,cqc_location_id,aliases,service_types,contract_start,
contract_end,returns`` (the CQC location ID, the aliases, the service types and the return
types optional; ``aliases`` and ``returns`` ``;``-separated; dates ISO). A return is matched to
a provider by its cover's CQC location ID, then by its provider name against the provider's
name and aliases, ignoring case and spacing. A cover whose ID names one provider and whose
name names another is a finding (M102), and the ID wins.

Without the file, providers are inferred from the covers: returns whose covers carry the same
CQC location ID are one provider; a cover without the (optional) ID joins the provider whose
covers carry its name; otherwise returns are grouped by name. A provider is never split by an
optional field.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from carekpi.base.errors import UsageError

PROVIDER_COLUMNS = ("provider_id", "name", "cqc_location_id", "aliases", "service_types", "contract_start",
                    "contract_end", "returns")


def norm(text: str | None) -> str:
    """A name or ID as compared: case, spacing and punctuation around it ignored."""
    return re.sub(r"\s+", " ", (text or "").replace("\u00a0", " ")).strip().casefold()


@dataclass(frozen=True)
class Provider:
    """One provider of the market."""

    id: str
    name: str
    cqc_location_id: str | None = None
    aliases: tuple[str, ...] = ()
    service_types: tuple[str, ...] = ()
    contract_start: date | None = None
    contract_end: date | None = None
    #: the return types the provider must send (empty: every return type of the framework)
    returns: tuple[str, ...] = ()
    #: inferred from returns (no providers file)
    inferred: bool = False

    def names(self) -> set[str]:
        return {norm(n) for n in (self.name, *self.aliases) if n}

    def under_contract(self, day: date) -> bool:
        return (self.contract_start is None or day >= self.contract_start) and \
               (self.contract_end is None or day <= self.contract_end)


@dataclass(frozen=True)
class Match:
    """Which provider a return's cover names, and what is odd about it."""

    provider: Provider | None
    #: a problem to report about the match (a name/ID conflict, no provider found)
    problem: str | None = None
    #: the code of that problem (M101 unmatched, M102 conflict)
    code: str | None = None


@dataclass
class ProviderDirectory:
    """The providers of a market, from the council's file or inferred from the returns."""

    providers: list[Provider] = field(default_factory=list)
    source: str | None = None
    #: the lookup tables of :meth:`match`, for the list they were built from
    _index: tuple[tuple[Provider, ...], dict[str, Provider], dict[str, Provider]] | None = field(
        default=None, init=False, repr=False, compare=False)

    @property
    def from_file(self) -> bool:
        return self.source is not None

    def by_id(self, provider_id: str) -> Provider:
        return next(p for p in self.providers if p.id == provider_id)

    def _lookup(self) -> tuple[dict[str, Provider], dict[str, Provider]]:
        """The first provider (in list order) by normalised CQC location ID and by normalised
        name or alias: built once, so matching a market of returns is linear, not returns x
        providers (built again if the list of providers changes)."""
        cached = self._index
        if cached is not None and len(cached[0]) == len(self.providers) and all(
                a is b for a, b in zip(cached[0], self.providers, strict=True)):
            return cached[1], cached[2]
        by_cqc: dict[str, Provider] = {}
        by_name: dict[str, Provider] = {}
        for p in self.providers:
            if p.cqc_location_id:
                by_cqc.setdefault(norm(p.cqc_location_id), p)
            for n in p.names():
                by_name.setdefault(n, p)
        self._index = (tuple(self.providers), by_cqc, by_name)
        return by_cqc, by_name

    def match(self, name: str | None, cqc_location_id: str | None) -> Match:
        cqc_index, name_index = self._lookup()
        by_cqc = cqc_index.get(norm(cqc_location_id)) if cqc_location_id else None
        by_name = name_index.get(norm(name)) if name else None
        if by_cqc is not None:
            if by_name is not None and by_name is not by_cqc:
                return Match(by_cqc, f"the cover names {name!r}, which is {by_name.name} ({by_name.id}) in the "
                                     f"providers list, but its CQC location ID {cqc_location_id} is {by_cqc.name} "
                                     f"({by_cqc.id}): counted as {by_cqc.name}", "M102")
            return Match(by_cqc)
        if by_name is not None:
            if cqc_location_id and by_name.cqc_location_id and norm(by_name.cqc_location_id) != norm(cqc_location_id):
                return Match(by_name, f"the cover's CQC location ID {cqc_location_id} is not {by_name.name}'s "
                                      f"({by_name.cqc_location_id}) in the providers list: counted as {by_name.name}",
                             "M102")
            return Match(by_name)
        who = " ".join(x for x in (repr(name) if name else None,
                                   f"(CQC location ID {cqc_location_id})" if cqc_location_id else None) if x)
        return Match(None, f"the cover names {who or 'no provider'}, which is not in the providers list"
                           + (f" {self.source}" if self.source else ""), "M101")


def _date(value: str, where: str) -> date | None:
    value = value.strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"{where}: {value!r} is not a date (use YYYY-MM-DD)") from None


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (value or "").split(";") if part.strip())


def load_providers(path: str | Path, *, return_types: list[str], service_types: list[str]) -> ProviderDirectory:
    """Read a providers CSV, checking every row; UsageError naming the line for a bad one."""
    p = Path(path)
    try:
        with p.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            header = [h.strip() for h in reader.fieldnames or []]
            missing = [c for c in ("provider_id", "name") if c not in header]
            if missing:
                raise UsageError(f"{p}: a providers file needs the columns {', '.join(PROVIDER_COLUMNS)} "
                                 f"(missing: {', '.join(missing)})")
            unknown = [h for h in header if h not in PROVIDER_COLUMNS]
            if unknown:
                raise UsageError(f"{p}: unknown column(s) {', '.join(unknown)} (known: {', '.join(PROVIDER_COLUMNS)})")
            providers: list[Provider] = []
            seen: dict[str, int] = {}
            for n, row in enumerate(reader, start=2):
                row = {k.strip(): (v or "").strip() for k, v in row.items() if k}
                where = f"{p}, line {n}"
                pid, name = row.get("provider_id", ""), row.get("name", "")
                if not pid or not name:
                    raise UsageError(f"{where}: every provider needs a provider_id and a name")
                if pid in seen:
                    raise UsageError(f"{where}: provider_id {pid!r} is also on line {seen[pid]}")
                seen[pid] = n
                returns = _split(row.get("returns"))
                bad = [r for r in returns if r not in return_types]
                if bad:
                    raise UsageError(f"{where}: unknown return type(s) {', '.join(bad)} "
                                     f"(the framework has: {', '.join(return_types)})")
                services = _split(row.get("service_types"))
                bad = [s for s in services if s not in service_types]
                if bad:
                    raise UsageError(f"{where}: unknown service type(s) {', '.join(bad)} "
                                     f"(the framework has: {', '.join(service_types) or 'none'})")
                start, end = _date(row.get("contract_start", ""), where), _date(row.get("contract_end", ""), where)
                if start and end and end < start:
                    raise UsageError(f"{where}: contract_end {end} is before contract_start {start}")
                providers.append(Provider(pid, name, row.get("cqc_location_id") or None, _split(row.get("aliases")),
                                          services, start, end, returns))
    except OSError as exc:
        raise UsageError(f"cannot read providers file {p}: {exc.strerror}") from None
    except (csv.Error, UnicodeDecodeError) as exc:
        raise UsageError(f"{p} is not a readable CSV file: {exc}") from None
    _check_unique(providers, p)
    return ProviderDirectory(providers, str(p))


def _check_unique(providers: list[Provider], path: Path) -> None:
    """Two providers must not share a CQC location ID or a name: a return would match either."""
    ids: dict[str, str] = {}
    names: dict[str, str] = {}
    for prov in providers:
        if prov.cqc_location_id:
            key = norm(prov.cqc_location_id)
            if key in ids:
                raise UsageError(f"{path}: providers {ids[key]} and {prov.id} share the CQC location ID "
                                 f"{prov.cqc_location_id}")
            ids[key] = prov.id
        for n in prov.names():
            if n in names and names[n] != prov.id:
                raise UsageError(f"{path}: providers {names[n]} and {prov.id} share the name {n!r}")
            names[n] = prov.id


def infer_providers(covers: list[tuple[str | None, str | None]]) -> ProviderDirectory:
    """Providers inferred from (name, CQC location ID) pairs of the covers, in a stable order.

    Covers sharing an ID are one provider; a cover without an ID joins the provider whose covers
    carry its name; covers with neither match are grouped by name. The provider's name is the
    one most covers give (ties: alphabetical), its id the CQC location ID, else the name.
    """
    groups: list[_Group] = []
    # every group by its IDs (an ID is in one group only) and by each of its names (groups in
    # the order they were made), so placing a cover does not search every group
    by_id: dict[str, _Group] = {}
    by_name: dict[str, list[_Group]] = {}
    for name, cqc in sorted(covers, key=lambda c: (norm(c[1]), norm(c[0]))):
        key_id, key_name = norm(cqc), norm(name)
        if not key_id and not key_name:
            continue
        named = by_name.get(key_name, []) if key_name else []
        home = None
        if key_id:
            home = by_id.get(key_id)
            if home is None:  # covers without an ID, of the same name, join this ID
                home = next((g for g in named if not g.ids), None)
        else:
            home = named[0] if named else None
        if home is None:
            home = _Group(order=len(groups))
            groups.append(home)
        if key_id:
            if key_id not in home.ids:
                by_id[key_id] = home
            home.ids.add(key_id)
            home.raw_ids.append((cqc or "").strip())
        if key_name:
            if key_name not in home.names:
                by_name.setdefault(key_name, []).append(home)
                by_name[key_name].sort(key=lambda g: g.order)
            home.names.add(key_name)
            home.raw_names.append(" ".join((name or "").split()))
    return ProviderDirectory(sorted((g.provider() for g in groups), key=lambda p: (norm(p.name), p.id)))


@dataclass
class _Group:
    order: int = 0  # the order groups are made in
    ids: set[str] = field(default_factory=set)
    names: set[str] = field(default_factory=set)
    raw_ids: list[str] = field(default_factory=list)
    raw_names: list[str] = field(default_factory=list)

    def provider(self) -> Provider:
        def commonest(values: list[str]) -> str | None:
            counts: dict[str, int] = {}
            for v in values:
                counts[v] = counts.get(v, 0) + 1
            return min(counts, key=lambda v: (-counts[v], v)) if counts else None

        name, cqc = commonest(self.raw_names), commonest(self.raw_ids)
        aliases = tuple(sorted({n for n in self.raw_names if n != name}))
        return Provider(cqc or name or "", name or cqc or "", cqc, aliases, inferred=True)

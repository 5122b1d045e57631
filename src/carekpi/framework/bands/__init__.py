"""Band schemes: how a KPI's value becomes Green, Amber or Red.

One module per scheme, each registering a :class:`~carekpi.framework.bands.base.BandScheme`
subclass; importing this package registers them all, in the order below (which is also the
order of the ``oneOf`` in the framework schema). Adding a scheme is one new module plus its
import here (see CONTRIBUTING.md).

May import: ``carekpi.base``, ``carekpi.framework.periods`` and ``carekpi.framework.strict``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Union

from pydantic import Field

# registration order is the order of the schema's oneOf:
# isort: off
from carekpi.framework.bands import thresholds  # noqa: F401
from carekpi.framework.bands import ranges  # noqa: F401
from carekpi.framework.bands import met  # noqa: F401
from carekpi.framework.bands import trajectory  # noqa: F401
from carekpi.framework.bands import mapping  # noqa: F401
from carekpi.framework.bands import relative  # noqa: F401
from carekpi.framework.bands import none  # noqa: F401
# isort: on
from carekpi.framework.bands.base import (
    SCHEMES,
    BandContext,
    BandOutcome,
    BandScheme,
    ContractDates,
    Direction,
    LintContext,
    SchemeProblem,
)
from carekpi.framework.bands.mapping import MappingBands
from carekpi.framework.bands.met import MetBands
from carekpi.framework.bands.none import NoBands
from carekpi.framework.bands.ranges import BandRange, RangeBands
from carekpi.framework.bands.relative import RELATIVE_PENDING, RelativeBands
from carekpi.framework.bands.thresholds import ThresholdBands
from carekpi.framework.bands.trajectory import TRAJECTORY_PENDING, TrajectoryBands

if TYPE_CHECKING:
    AnyBandScheme = BandScheme
else:
    #: a KPI's ``bands``: whichever registered scheme its ``scheme:`` key names
    AnyBandScheme = Annotated[Union[tuple(SCHEMES.values())], Field(discriminator="scheme")]  # noqa: UP007

__all__ = [
    "RELATIVE_PENDING", "SCHEMES", "TRAJECTORY_PENDING", "AnyBandScheme", "BandContext", "BandOutcome", "BandRange",
    "BandScheme", "ContractDates", "Direction", "LintContext", "MappingBands", "MetBands", "NoBands", "RangeBands",
    "RelativeBands", "SchemeProblem", "ThresholdBands", "TrajectoryBands",
]

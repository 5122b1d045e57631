"""The template layout's fingerprint (what a return's metadata must carry for check V003), worked
out once per framework and return type and kept with the framework.

It is registered with the framework cache as a preparer, so the cached framework carries it and
a one-return ``validate`` reads it back: the layout (:mod:`carekpi.workbook.layout`, with the
Checks sheet's formulas) is then neither imported nor planned. It is imported, once, only when a
framework does not carry the fingerprint yet; the import inside :func:`layout_fingerprint` is for
start-up speed only.
"""

from __future__ import annotations

from carekpi.framework.cache import prepares
from carekpi.framework.model import Framework


def layout_fingerprint(fw: Framework, return_id: str) -> str:
    """The fingerprint of the template's layout for return type ``return_id``."""

    def work() -> str:
        from carekpi.workbook.layout import template_layout

        return template_layout(fw, return_id).fingerprint()

    return str(fw.memo(("layout fingerprint", return_id), work))


@prepares("layout fingerprint")
def _fingerprints(fw: Framework) -> None:
    for rt in fw.returns:
        layout_fingerprint(fw, rt.id)

"""What goes back to a provider: a copy of their own return with every finding marked on it.

``carekpi feedback RETURN.xlsx -o FEEDBACK.xlsx`` (or ``--out-dir DIR`` for many returns) validates
and scores each return as ``carekpi validate`` and ``carekpi score`` do, and writes a copy of the
provider's own workbook (:mod:`carekpi.feedback.copy`) in which

* every cell a finding names is filled by severity (red error, amber warning, green explained,
  blue information) and carries a comment with the finding's code and message;
* a **Findings** sheet comes first, listing every finding with a link to its cell, and a **KPI
  results** sheet follows it (:mod:`carekpi.feedback.sheets`, whose writers the officer's reports
  use too).

The original file is never modified (it is read, and the copy is written atomically elsewhere; an
output may not be one of the inputs), and nothing taken from a return can become a formula in the
copy: text is written as text (:func:`carekpi.base.safety.set_cell_text`).

May import: ``carekpi.market`` and every layer below it.
"""

from __future__ import annotations

from carekpi.feedback.run import Checked, feedback_bytes, feedback_name, plan_outputs, validate_and_score

__all__ = ["Checked", "feedback_bytes", "feedback_name", "plan_outputs", "validate_and_score"]

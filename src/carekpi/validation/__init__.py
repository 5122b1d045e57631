"""Validation: every check a return goes through, and the findings it gives.

``checks/`` holds one module per check kind, each declaring its codes; ``context`` what the
checks share while a return is read (and the typed return handed to scoring); ``findings``
the results; ``validate`` runs it all for one workbook.

May import: ``carekpi.base``, ``carekpi.framework``, ``carekpi.workbook``.
"""

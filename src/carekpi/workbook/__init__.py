"""The provider's workbook: refusing hostile files, reading cells, typing what people typed,
and writing the template.

``preflight`` refuses hostile files before anything parses them; ``reader`` finds each item's
cell (by defined name, then by label); ``coerce`` types what people typed, saying what it
corrected; ``layout`` plans the template (every named cell, formula and validation) without
writing it; ``template`` writes it; ``drift`` compares a committed template with the one
generated now; ``fill`` and ``samples`` make returns from the template; ``files`` finds
workbooks in folders.

May import: ``carekpi.base`` and ``carekpi.framework``.
"""

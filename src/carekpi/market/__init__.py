"""The market: many returns from many providers, scored together.

``batch`` collects the workbooks named (files and folders; the bundled samples by default),
validates each (one bad file never hides the rest) and scores them together.

May import: every layer below it (``base``, ``framework``, ``workbook``, ``validation``, ``scoring``).
"""

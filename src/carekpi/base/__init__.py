"""The foundation every layer uses: errors and exit codes, bands and severities, exact
rounding, atomic writes, and making untrusted text safe for outputs.

May import: nothing from carekpi.
"""

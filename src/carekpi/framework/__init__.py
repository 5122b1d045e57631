"""The framework: what a council asks providers to return, and how it is judged, as data.

``model`` (the pydantic model, frozen once loaded) with ``strict`` its base; ``periods``
(cadences, periods, deadlines, working days); ``bands`` and ``kinds`` (the registries of band
schemes and KPI kinds); ``expr`` (the expression language); ``cover`` (the items and sheets
every return has); ``yamlsrc``, ``loader`` and ``compiled`` (YAML with line numbers, loading,
checking and compiling); ``versions`` and ``discovery`` (where frameworks are found, which
version is in force, which framework a workbook names); ``lint``, ``diff`` and ``schema``
(CI for framework files).

May import: ``carekpi.base`` only. Nothing here knows about workbooks, validation or scoring.
"""

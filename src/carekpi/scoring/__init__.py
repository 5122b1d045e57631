"""Scoring: KPI values and Green / Amber / Red bands for validated returns.

``kpis`` scores one KPI of one return (its kind computes the value, its band scheme bands
it); ``passes`` runs the ordered passes over a batch (per-return KPIs, peer-relative bands,
rolling judgements, bands withheld); ``relative`` and ``rolling`` are the passes that need
more than one return; ``inputs`` the council's data and the contract's dates; ``results``
what scoring produces.

May import: ``carekpi.base``, ``carekpi.framework``, ``carekpi.workbook``, ``carekpi.validation``.
"""

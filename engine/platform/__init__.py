"""Platforms: what firmware provides around the CPUs (device trees, firmware services).

``engine.platform.pseries`` is an IBM pSeries / PAPR logical partition (docs/pseries.md).
"""

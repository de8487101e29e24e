"""Pydantic v2 schema families (``XCreate``, ``XUpdate``, ``XPublic``, ``XsPublic``)."""

"""Cohort: a Discord bot for a serious, self-organised learning community."""

__version__ = "0.1.0"

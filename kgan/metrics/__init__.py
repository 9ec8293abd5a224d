"""Evaluation metrics: functions from two sample sets to numbers."""

from kgan.metrics.moments import moment_errors

__all__ = ["moment_errors"]

"""Logger, Tracer and Metrics, created once and shared by every function."""

from aws_lambda_powertools import Logger, Metrics, Tracer

# Service name and metrics namespace come from POWERTOOLS_SERVICE_NAME / POWERTOOLS_METRICS_NAMESPACE.
logger = Logger()
tracer = Tracer()
metrics = Metrics()

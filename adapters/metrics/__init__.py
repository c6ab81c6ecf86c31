"""Figures for monitoring that only the database knows (deployment-wide, every replica's)."""

from adapters.metrics.deployment import DeploymentFigures, deployment_figures

__all__ = ["DeploymentFigures", "deployment_figures"]

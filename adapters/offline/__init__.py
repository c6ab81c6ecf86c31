"""The offline demo model: deterministic, no API key, clearly labelled in every reply."""

from adapters.offline.model import OFFLINE_LABEL, OfflineModel

__all__ = ["OFFLINE_LABEL", "OfflineModel"]

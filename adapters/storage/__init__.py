"""SQL storage (SQLAlchemy async): SQLite by default, PostgreSQL to scale out."""

from adapters.storage.actions import SqlActionStore
from adapters.storage.audit_log import SqlAuditLog
from adapters.storage.credit_store import SqlCreditStore
from adapters.storage.database import Database, DatabaseUnavailable, open_database
from adapters.storage.feedback import SqlFeedbackStore
from adapters.storage.llm_settings import SqlLLMSettingsStore
from adapters.storage.schema import SchemaOutOfDate, check_schema, upgrade_schema
from adapters.storage.threads import SqlThreadStore
from adapters.storage.usage_store import SqlUsageStore
from adapters.storage.work_items import SqlWorkItemStore
from adapters.storage.workspace_store import SqlWorkspaceStore

__all__ = [
    "Database",
    "DatabaseUnavailable",
    "SchemaOutOfDate",
    "SqlActionStore",
    "SqlAuditLog",
    "SqlCreditStore",
    "SqlFeedbackStore",
    "SqlLLMSettingsStore",
    "SqlThreadStore",
    "SqlUsageStore",
    "SqlWorkItemStore",
    "SqlWorkspaceStore",
    "check_schema",
    "open_database",
    "upgrade_schema",
]

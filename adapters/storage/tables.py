"""The SQL schema (SQLAlchemy Core); Alembic migrations create and upgrade it."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
)

from adapters.storage.slack_oauth_tables import slack_oauth_tables

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# SQLite only makes INTEGER PRIMARY KEY an auto-incrementing rowid.
Id = BigInteger().with_variant(Integer(), "sqlite")
Stamp = DateTime(timezone=True)

workspaces = Table(
    "workspaces",
    metadata,
    Column("id", Id, primary_key=True),
    Column("name", String(63), nullable=False, unique=True),
    Column("plan", String(16), nullable=False),
    Column("allocation", Integer, nullable=False),
    Column("anchor", Date, nullable=False),
    Column("mode", String(16), nullable=False),
    Column("created_at", Stamp, nullable=False),
)
# names ignore case: `Demo` and `demo` are one workspace (migration 0008)
Index("uq_workspaces_lower_name", func.lower(workspaces.c.name), unique=True)

platform_links = Table(
    "platform_links",
    metadata,
    Column("id", Id, primary_key=True),
    Column("platform", String(16), nullable=False),
    Column("external_id", String(64), nullable=False),
    Column("workspace_id", ForeignKey("workspaces.id"), nullable=False, index=True),
    Column("alerts_channel", String(64), nullable=True),  # where the team's admins read alerts
    UniqueConstraint("platform", "external_id"),
)

# Claimed platform messages: the first replica to insert a message's key answers it; a retry,
# or the same message arriving as two events (a mention and a thread message), finds it taken.
# A claim is leased: one left `claimed` past `claimed_until` (its claimant crashed) is taken
# over, `attempts` counting the takeovers, and answered again from `message` (the adapter's
# JSON), editing the placeholder `reply`.
platform_events = Table(
    "platform_events",
    metadata,
    Column("platform", String(16), primary_key=True),
    Column("event_key", String(160), primary_key=True),
    Column("received_at", Stamp, nullable=False, index=True),
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("claimed_until", Stamp, nullable=False),
    Column("message", Text, nullable=True),  # forgotten once the claim is finished
    Column("reply", String(64), nullable=True),
    Index(None, "state", "claimed_until"),
)

# A channel bound to a project: questions asked there are scoped to it. One binding per
# workspace: a channel id is shared by every organisation in a Slack Connect channel.
channel_projects = Table(
    "channel_projects",
    metadata,
    Column("id", Id, primary_key=True),
    Column("workspace_id", ForeignKey("workspaces.id"), nullable=False, index=True),
    Column("platform", String(16), nullable=False),
    Column("channel_id", String(64), nullable=False),
    Column("project", String(16), nullable=False),
    UniqueConstraint("workspace_id", "platform", "channel_id"),
)

members = Table(
    "members",
    metadata,
    Column("id", Id, primary_key=True),
    Column("workspace_id", ForeignKey("workspaces.id"), nullable=False),
    Column("platform", String(16), nullable=False),
    Column("external_id", String(64), nullable=False),
    Column("display_name", String(128), nullable=False),
    Column("role", String(16), nullable=False),
    Column("monthly_cap", Integer, nullable=True),
    UniqueConstraint("workspace_id", "platform", "external_id"),
)

# One row per workspace: the hot row every hold and charge updates under its lock.
credit_balances = Table(
    "credit_balances",
    metadata,
    Column("workspace_id", ForeignKey("workspaces.id"), primary_key=True),
    Column("cycle_start", Date, nullable=False),
    Column("monthly_allocation", Integer, nullable=False),
    Column("monthly_used", Integer, nullable=False),
    Column("packs_remaining", Integer, nullable=False),
    Column("reserved", Integer, nullable=False),
    Column("packs_added", Integer, nullable=False),
)

credit_packs = Table(
    "credit_packs",
    metadata,
    Column("id", Id, primary_key=True),
    Column("workspace_id", ForeignKey("workspaces.id"), nullable=False),
    Column("source", String(16), nullable=False),
    Column("credits", Integer, nullable=False),
    Column("remaining", Integer, nullable=False),
    Column("note", Text, nullable=False),
    Column("created_at", Stamp, nullable=False),
    Index(None, "workspace_id", "remaining"),
)

interactions = Table(
    "interactions",
    metadata,
    Column("id", Id, primary_key=True),
    Column("workspace_id", ForeignKey("workspaces.id"), nullable=False),
    Column("key", String(200), nullable=False),
    Column("member_id", ForeignKey("members.id"), nullable=True),
    Column("state", String(16), nullable=False),
    Column("reserved", Integer, nullable=False),
    Column("credits", Integer, nullable=False),  # charged: monthly plus packs
    Column("pack_credits", Integer, nullable=False),  # the part drawn from packs
    Column("written_off", Integer, nullable=False),
    Column("interaction_type", String(32), nullable=True),
    Column("input_tokens", Integer, nullable=False),
    Column("output_tokens", Integer, nullable=False),
    Column("tokens_estimated", Boolean, nullable=False),
    Column("created_at", Stamp, nullable=False),
    Column("expires_at", Stamp, nullable=False),
    Column("settled_at", Stamp, nullable=True),
    UniqueConstraint("workspace_id", "key"),
    Index(None, "workspace_id", "state", "expires_at"),
    Index(None, "member_id", "state"),
    Index(None, "workspace_id", "created_at"),  # rate limits count the last minute
)

ledger_entries = Table(
    "ledger_entries",
    metadata,
    Column("id", Id, primary_key=True),
    Column("workspace_id", ForeignKey("workspaces.id"), nullable=False),
    Column("at", Stamp, nullable=False),
    Column("kind", String(24), nullable=False),
    Column("bucket", String(16), nullable=False),
    Column("delta", Integer, nullable=False),
    Column("cycle_start", Date, nullable=False),
    Column("pack_id", ForeignKey("credit_packs.id"), nullable=True),
    Column("interaction_id", ForeignKey("interactions.id"), nullable=True),
    Column("member_id", ForeignKey("members.id"), nullable=True),
    Column("note", Text, nullable=False),
    Index(None, "workspace_id", "bucket", "cycle_start"),
)

# Usage rolled up per day, member and type as each charge settles: dashboard queries read
# at most days x members x types rows, however long the history grows.
usage_rollup = Table(
    "usage_rollup",
    metadata,
    Column("workspace_id", ForeignKey("workspaces.id"), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("member_key", BigInteger, primary_key=True),  # members.id, 0 for none
    Column("interaction_type", String(32), primary_key=True),
    Column("credits", Integer, nullable=False),
    Column("interactions", Integer, nullable=False),
    Column("input_tokens", BigInteger, nullable=False),
    Column("output_tokens", BigInteger, nullable=False),
    Column("written_off", Integer, nullable=False),
)

alerts = Table(
    "alerts",
    metadata,
    Column("id", Id, primary_key=True),
    Column("workspace_id", ForeignKey("workspaces.id"), nullable=False),
    Column("kind", String(24), nullable=False),
    Column("cycle_start", Date, nullable=False),
    Column("dedupe_key", String(64), nullable=False),
    Column("percent", Integer, nullable=True),
    Column("created_at", Stamp, nullable=False),
    Column("delivered_at", Stamp, nullable=True),
    Column("attempts", Integer, nullable=False),
    Column("last_error", Text, nullable=True),
    UniqueConstraint("workspace_id", "dedupe_key"),
    Index(None, "delivered_at"),
)

# Delivery of each alert to each platform: a replica leases the row before sending, so an
# alert reaches a platform's admins once; a failure sets when to try again.
alert_deliveries = Table(
    "alert_deliveries",
    metadata,
    Column("alert_id", ForeignKey("alerts.id"), primary_key=True),
    Column("platform", String(16), primary_key=True),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", Stamp, nullable=True),
    Column("lease_until", Stamp, nullable=True),
    Column("delivered_at", Stamp, nullable=True),
    Column("last_error", Text, nullable=True),
)

# Who has been told of each alert on each platform (a channel or an admin's DM, as the
# notifier names them): a retry after a partial failure, on any replica, tells the others.
alert_recipients = Table(
    "alert_recipients",
    metadata,
    Column("alert_id", ForeignKey("alerts.id"), primary_key=True),
    Column("platform", String(16), primary_key=True),
    Column("recipient", String(200), primary_key=True),
    Column("told_at", Stamp, nullable=False),
)

# The tracker's data per workspace. `last_number` is the project's id counter: a create
# bumps it with one conditional UPDATE, so concurrent creates never pick the same number.
projects = Table(
    "projects",
    metadata,
    Column("id", Id, primary_key=True),
    Column("workspace_id", ForeignKey("workspaces.id"), nullable=False),
    Column("key", String(10), nullable=False),
    Column("name", Text, nullable=False),
    Column("last_number", Integer, nullable=False),
    UniqueConstraint("workspace_id", "key"),
)

sprints = Table(
    "sprints",
    metadata,
    Column("id", Id, primary_key=True),
    Column("workspace_id", ForeignKey("workspaces.id"), nullable=False),
    Column("project", String(10), nullable=False),
    Column("name", Text, nullable=False),
    Column("start", Date, nullable=False),
    Column("end", Date, nullable=False),
    UniqueConstraint("workspace_id", "project", "name"),
    ForeignKeyConstraint(["workspace_id", "project"], ["projects.workspace_id", "projects.key"]),
)

# Labels are one text column, `,frontend,auth,` (labels hold no commas): a label filter is
# a LIKE on both SQLite and PostgreSQL, an item stays one row, and the order is kept.
# `assignee_key` is the case-folded assignee, so the case-insensitive filter uses an index.
work_items = Table(
    "work_items",
    metadata,
    Column("id", Id, primary_key=True),
    Column("workspace_id", ForeignKey("workspaces.id"), nullable=False),
    Column("project", String(10), nullable=False),
    Column("number", Integer, nullable=False),
    Column("title", Text, nullable=False),
    Column("description", Text, nullable=False),
    Column("type", String(16), nullable=False),
    Column("state", String(16), nullable=False),
    Column("priority", String(16), nullable=False),
    Column("assignee", Text, nullable=True),
    Column("assignee_key", Text, nullable=True),
    Column("labels", Text, nullable=False),
    Column("estimate", Integer, nullable=True),
    Column("sprint", Text, nullable=True),
    Column("created_at", Stamp, nullable=False),
    Column("updated_at", Stamp, nullable=False),
    Column("completed_at", Stamp, nullable=True),
    UniqueConstraint("workspace_id", "project", "number"),
    ForeignKeyConstraint(["workspace_id", "project"], ["projects.workspace_id", "projects.key"]),
    ForeignKeyConstraint(
        ["workspace_id", "project", "sprint"],
        ["sprints.workspace_id", "sprints.project", "sprints.name"],
    ),
    Index(None, "workspace_id", "project", "state"),
    Index(None, "workspace_id", "assignee_key"),
)

# Conversations: a platform thread (or console session) and its turns, read newest first.
threads = Table(
    "threads",
    metadata,
    Column("id", Id, primary_key=True),
    Column("workspace_id", ForeignKey("workspaces.id"), nullable=False),
    Column("platform", String(16), nullable=False),
    Column("key", String(200), nullable=False),
    Column("project", Text, nullable=True),
    Column("created_at", Stamp, nullable=False),
    UniqueConstraint("workspace_id", "platform", "key"),
)

turns = Table(
    "turns",
    metadata,
    Column("id", Id, primary_key=True),
    Column("thread_id", ForeignKey("threads.id"), nullable=False),
    Column("speaker", String(16), nullable=False),
    Column("text", Text, nullable=False),
    Column("member_id", ForeignKey("members.id"), nullable=True),
    Column("at", Stamp, nullable=False),
    Index(None, "thread_id", "id"),
)

# A proposed change waits here for a person; `state` only moves by a conditional UPDATE,
# so one decision wins. The draft and the per-item results are JSON text.
proposed_actions = Table(
    "proposed_actions",
    metadata,
    Column("id", Id, primary_key=True),
    Column("workspace_id", ForeignKey("workspaces.id"), nullable=False),
    Column("thread_id", ForeignKey("threads.id"), nullable=False),
    Column("requester_id", ForeignKey("members.id"), nullable=False),
    Column("state", String(16), nullable=False),
    Column("draft", Text, nullable=False),
    Column("results", Text, nullable=False),
    Column("created_at", Stamp, nullable=False),
    Column("expires_at", Stamp, nullable=False),
    Column("decided_by", ForeignKey("members.id"), nullable=True),
    Column("decided_at", Stamp, nullable=True),
    Index(None, "workspace_id", "state"),
)

# Every AI interaction, already redacted; `tools` and `proposals` are JSON lists.
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Id, primary_key=True),
    Column("workspace_id", ForeignKey("workspaces.id"), nullable=False),
    Column("thread_id", ForeignKey("threads.id"), nullable=False),
    Column("member_id", ForeignKey("members.id"), nullable=False),
    Column("event_id", String(200), nullable=False),
    Column("at", Stamp, nullable=False),
    Column("prompt", Text, nullable=False),
    Column("answer", Text, nullable=False),
    Column("tools", Text, nullable=False),
    Column("input_tokens", Integer, nullable=False),
    Column("output_tokens", Integer, nullable=False),
    Column("tokens_estimated", Boolean, nullable=False),
    Column("credits", Integer, nullable=False),
    Column("interaction_type", String(32), nullable=False),
    Column("model", Text, nullable=False),
    Column("outcome", String(32), nullable=False),
    Column("proposals", Text, nullable=False),
    Index(None, "workspace_id", "at"),
)

# 👍/👎 on answers: one verdict per person and answered interaction (`event_id` is the audit
# record's); a second click with the other button replaces it.
answer_feedback = Table(
    "answer_feedback",
    metadata,
    Column("id", Id, primary_key=True),
    Column("workspace_id", ForeignKey("workspaces.id"), nullable=False),
    Column("event_id", String(200), nullable=False),
    Column("member_id", ForeignKey("members.id"), nullable=False),
    Column("positive", Boolean, nullable=False),
    Column("at", Stamp, nullable=False),
    UniqueConstraint("workspace_id", "event_id", "member_id"),
    Index(None, "workspace_id", "at"),
)

# A workspace's own model; the API key is stored only encrypted (adapters/secrets.py).
workspace_llm = Table(
    "workspace_llm",
    metadata,
    Column("workspace_id", ForeignKey("workspaces.id"), primary_key=True),
    Column("provider", String(32), nullable=False),
    Column("model", Text, nullable=False),
    Column("base_url", Text, nullable=True),
    Column("azure_deployment", Text, nullable=True),
    Column("api_version", Text, nullable=True),
    Column("api_key_encrypted", Text, nullable=True),
    Column("updated_at", Stamp, nullable=False),
)

# Slack OAuth installations and install states, in slack_sdk's own table layout so its
# AsyncSQLAlchemyInstallationStore and AsyncSQLAlchemyOAuthStateStore read them as they are
# (described in slack_oauth_tables.py, so the schema loads without slack_sdk).
slack_installations, slack_bots, slack_oauth_states = slack_oauth_tables(metadata)

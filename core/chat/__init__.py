"""The chat layer every platform shares: answering, streaming, commands, proposals and
decisions, forms, who is an admin, alert delivery, and the one error policy.

A platform adapter implements the small ports (`Surface`, `AnswerStream`, `Directory`,
`AlertSender`) and renders neutral `Reply`s (CommonMark plus a tone) in its own markup.
"""

from core.chat.answering import Answering, Incoming
from core.chat.commands import COMMANDS, Command, Commands
from core.chat.decisions import Click, DecisionOutcome, Decisions
from core.chat.forms import Forms, FormStep
from core.chat.layer import ChatLayer
from core.chat.people import Directory, People, Profile
from core.chat.replies import Attachment, BuyForm, ConfigForm, Reply, Tone
from core.chat.services import ChatServices
from core.chat.surface import AnswerStream, Surface, SurfaceRefused
from core.chat.telling import tell

__all__ = [
    "COMMANDS",
    "AnswerStream",
    "Answering",
    "Attachment",
    "BuyForm",
    "ChatLayer",
    "ChatServices",
    "Click",
    "Command",
    "Commands",
    "ConfigForm",
    "DecisionOutcome",
    "Decisions",
    "Directory",
    "FormStep",
    "Forms",
    "Incoming",
    "People",
    "Profile",
    "Reply",
    "Surface",
    "SurfaceRefused",
    "Tone",
    "tell",
]

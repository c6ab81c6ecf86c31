"""The chat layer in one object: what every platform adapter is given."""

from __future__ import annotations

from core.chat.answering import Answering
from core.chat.commands import Commands
from core.chat.decisions import Decisions
from core.chat.direct import DirectMessages
from core.chat.feedback import AnswerFeedback
from core.chat.forms import Forms
from core.chat.people import People
from core.chat.services import ChatServices


class ChatLayer:
    def __init__(self, *, services: ChatServices, people: People) -> None:
        self.services = services
        self.people = people
        self.answering = Answering(services=services, people=people)
        self.commands = Commands(services=services, people=people)
        self.decisions = Decisions(services=services, people=people)
        self.forms = Forms(services=services, people=people)
        self.direct = DirectMessages(people=people, usage=services.usage)
        self.feedback = AnswerFeedback(services=services, people=people)

"""SecretBox: stored API keys are sealed under SETGET_SECRET_KEY and never shown."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from adapters.secrets import SecretBox, SecretUnreadable
from core.assistant.llm_settings import WorkspaceLLM
from core.errors import InvalidInput, SetGetError

PASSPHRASE = "a long operator secret, 2026"
API_KEY = "sk-proj-abcdefghijklmnop0123"


def test_a_sealed_text_opens_with_the_same_key() -> None:
    box = SecretBox(PASSPHRASE)
    token = box.seal(API_KEY)
    assert API_KEY not in token
    assert token != box.seal(API_KEY)  # a fresh IV each time
    assert SecretBox(PASSPHRASE).open(token) == API_KEY
    assert box.open(box.seal("ключ ✓")) == "ключ ✓"


def test_a_fernet_key_is_used_as_it_is() -> None:
    key = Fernet.generate_key().decode()
    token = SecretBox(key).seal(API_KEY)
    assert Fernet(key.encode()).decrypt(token.encode()).decode() == API_KEY


def test_another_key_cannot_open_and_the_error_shows_no_secret() -> None:
    sealed = SecretBox(PASSPHRASE).seal(API_KEY)
    with pytest.raises(SecretUnreadable, match="SETGET_SECRET_KEY changed") as caught:
        SecretBox(PASSPHRASE + "!").open(sealed)
    assert isinstance(caught.value, SetGetError)
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__
    assert API_KEY not in str(caught.value)
    assert PASSPHRASE not in str(caught.value)


@pytest.mark.parametrize("token", ["not a token", "", "gAAAAA" + "A" * 80, "ключ", "damaged"])
def test_a_damaged_token_is_a_clear_error(token: str) -> None:
    box = SecretBox(PASSPHRASE)
    if token == "damaged":
        token = box.seal(API_KEY)[:-4] + "AAAA"
    with pytest.raises(SecretUnreadable, match="SETGET_SECRET_KEY changed"):
        box.open(token)


@pytest.mark.parametrize("key", ["", "   ", "short-key"])
def test_a_short_secret_key_is_refused_without_echoing_it(key: str) -> None:
    with pytest.raises(InvalidInput, match="at least 16 characters") as caught:
        SecretBox(key)
    assert not key.strip() or key not in str(caught.value)


def test_neither_the_box_nor_the_settings_show_the_key() -> None:
    settings = WorkspaceLLM("openai", "gpt-4o", None, None, None, API_KEY)
    assert API_KEY not in repr(settings)
    assert API_KEY not in str(settings)
    assert "api_key='***'" in repr(settings)
    assert "api_key=None" in repr(WorkspaceLLM("openai", "gpt-4o", None, None, None, None))
    assert PASSPHRASE not in repr(SecretBox(PASSPHRASE))

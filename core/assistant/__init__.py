"""The AI assistant: tools over work-item data, the conversation loop, proposed actions."""

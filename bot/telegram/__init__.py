"""The Telegram face: python-telegram-bot handlers, one module per part of the chat."""

"""The Telegram face of hotelbot: python-telegram-bot handlers, texts, the notifier."""

"""The Mini App: a small web face of newsbot, opened from Telegram or a signed link."""

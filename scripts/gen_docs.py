"""Regenerate the settings reference in README.md and deploy/.env.example from news/settings.py."""

import re
from pathlib import Path

from news.settings import env_example, markdown_table

ROOT = Path(__file__).resolve().parent.parent

(ROOT / "deploy" / ".env.example").write_text(env_example())
readme = ROOT / "README.md"
readme.write_text(
    re.sub(
        r"(<!-- settings:start -->\n).*?(\n<!-- settings:end -->)",
        lambda m: m.group(1) + markdown_table() + m.group(2),
        readme.read_text(),
        flags=re.DOTALL,
    )
)

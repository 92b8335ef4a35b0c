"""Regenerate README.md's settings reference and benchmark tables, and deploy/.env.example.

The settings come from news/settings.py, the tables from bench/results/*.md.
"""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # bench/ is not installed; run from anywhere

from bench.report import with_results  # noqa: E402
from news.settings import env_example, markdown_table  # noqa: E402

(ROOT / "deploy" / ".env.example").write_text(env_example())
readme = ROOT / "README.md"
text = re.sub(
    r"(<!-- settings:start -->\n).*?(\n<!-- settings:end -->)",
    lambda m: m.group(1) + markdown_table() + m.group(2),
    readme.read_text(),
    flags=re.DOTALL,
)
readme.write_text(with_results(text))

"""Docs checked by tests: the settings reference in README and deploy/.env.example."""

from pathlib import Path

from news.settings import env_example, markdown_table

ROOT = Path(__file__).resolve().parent.parent
REGENERATE = "out of date: run .venv/bin/python scripts/gen_docs.py"


def test_env_example_lists_every_setting() -> None:
    expected = env_example()
    assert (ROOT / "deploy" / ".env.example").read_text() == expected, REGENERATE


def test_readme_lists_every_setting() -> None:
    readme = (ROOT / "README.md").read_text()
    assert markdown_table() in readme, REGENERATE


def test_readme_opens_with_the_two_commands() -> None:
    opening = (ROOT / "README.md").read_text().split("\n\n")[1]
    assert "make demo" in opening
    assert "make test" in opening

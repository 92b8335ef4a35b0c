"""Docs checked by tests: the settings reference and benchmark tables in README, .env.example."""

from pathlib import Path

from bench.report import RESULTS, results_in, with_results
from news.settings import env_example, markdown_table

ROOT = Path(__file__).resolve().parent.parent
REGENERATE = "out of date: run .venv/bin/python scripts/gen_docs.py"


def test_env_example_lists_every_setting() -> None:
    expected = env_example()
    assert (ROOT / "deploy" / ".env.example").read_text() == expected, REGENERATE


def test_readme_lists_every_setting() -> None:
    readme = (ROOT / "README.md").read_text()
    assert markdown_table() in readme, REGENERATE


def test_readme_performance_tables_are_those_of_bench_results() -> None:
    readme = (ROOT / "README.md").read_text()
    assert with_results(readme) == readme, REGENERATE


def test_readme_shows_every_benchmark_results_page() -> None:
    pages = {page.stem for page in RESULTS.glob("*.md")}
    assert results_in((ROOT / "README.md").read_text()) == pages


def test_readme_opens_with_the_two_commands() -> None:
    opening = (ROOT / "README.md").read_text().split("\n\n")[1]
    assert "make demo" in opening
    assert "make test" in opening

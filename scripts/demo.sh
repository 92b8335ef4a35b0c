#!/usr/bin/env bash
# make demo: poll the sample feeds in seeds/ on a throw-away SQLite database and print a digest.
set -euo pipefail
echo "demo: not wired yet"

#!/usr/bin/env bash
# The student release of the course kit, made by nbgrader from the instructor's notebooks:
#   1. nbgrader generate_assignment for every assignment in course/source/ (solutions
#      stripped, cells locked, checksums; the gradebook course/gradebook.db records the
#      grade cells) -> course/release/<assignment>/<assignment>.ipynb;
#   2. each released notebook is copied to book/assignments/ and executed there, so that
#      the book shows it with its outputs (tests/test_course.py checks that the book's
#      copies are exactly what nbgrader generates).
# Needs the `course` extra (pip install -e ".[course]"; .ci/setup installs it).
#   bash course/release.sh
set -euo pipefail
cd "$(dirname "$0")/.."
# nbgrader runs `alembic` (its gradebook migrations) from PATH: use the project's .venv.
if [ -x .venv/bin/python ]; then
    export PATH="$PWD/.venv/bin:$PATH"
fi
source .ci/env
(cd course && nbgrader generate_assignment '*' --force)
for released in course/release/*/*.ipynb; do
    dest="book/assignments/$(basename "$released")"
    cp "$released" "$dest"
    echo "release: executing $dest"
    jupyter nbconvert --to notebook --execute --inplace \
        --ExecutePreprocessor.timeout=900 "$dest"
done

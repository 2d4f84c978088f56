"""nbgrader configuration of the course kit; run nbgrader commands from this folder.

Layout (nbgrader's standard one): source/<assignment>/<assignment>.ipynb are the instructor's
notebooks WITH the solutions; `nbgrader generate_assignment` writes the student versions to
release/; submissions go to submitted/<student>/<assignment>/, `nbgrader autograde` writes
autograded/ and the gradebook (gradebook.db), `nbgrader generate_feedback` writes feedback/.
Only source/ and this file are in the repository (see course/README.md).
"""

c = get_config()  # noqa: F821  (nbgrader provides it)

c.CourseDirectory.course_id = "minicgmvae"

# What replaces a ### BEGIN SOLUTION ... ### END SOLUTION region in the student version.
# The line above each region keeps the function's own hint (# TODO: ...). The checks
# recognise NotImplementedError and say "not implemented yet".
c.ClearSolutions.code_stub = {
    "python": 'raise NotImplementedError("replace this line with your code")',
}

# Seconds per cell when autograding: assignment 4 trains a small model (15 epochs on
# yeast), which takes well under a minute on one CPU thread; keep a wide margin.
c.Execute.timeout = 600

# A submission whose student deleted a graded test cell gets it back (with a note), so the
# check still runs and scores; without this the cell's points are silently missing.
c.OverwriteCells.add_missing_cells = True

# The two set-up commands of the README. Each creates .venv with the pinned dependencies
# (constraints.txt) on first use.
.PHONY: book test

book:  ## build the book into _build/html, running every notebook
	bash .ci/book

test:  ## run every test: the package, every notebook (nbval), the wheel, the book in a browser
	bash .ci/test

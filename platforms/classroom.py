"""GitHub Classroom: the grader step's output for autograding-grading-reporter."""
import os


def append_github_output(line):
    """Appends a line to the file $GITHUB_OUTPUT names (a grader step's outputs)."""
    path = os.environ.get("GITHUB_OUTPUT")
    if not path:
        raise OSError("GITHUB_OUTPUT is not set: --classroom runs as a step of a GitHub Actions workflow")
    with open(path, "a") as fh:
        fh.write(line)

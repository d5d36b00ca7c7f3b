"""Where courses already grade, one small module each: GitHub Classroom
(classroom.py), Gradescope (gradescope.py), PrairieLearn (prairielearn.py) and
Autolab (autolab.py). grader.py grades; these hand the result over in each
platform's own format, and package the grader for it. What they share is in common.py."""
from platforms.classroom import append_github_output
from platforms.common import PACKAGES, SHIPPED, SIMILARITY_PACKAGES
from platforms.gradescope import RUN_AUTOGRADER, SETUP_SH, gradescope_package

__all__ = ["PACKAGES", "SHIPPED", "SIMILARITY_PACKAGES", "RUN_AUTOGRADER", "SETUP_SH", "append_github_output",
           "gradescope_package"]

"""What a grading needs on the machine, and the one command that installs it:
`./grader.py --install-deps` runs it (as root); a grading on a machine missing
something names it and prints the command. No pytest needed here."""
import os
import shutil
import subprocess
import sys

from platforms.common import PACKAGES

# what each package brings that the grader looks for
NEEDS = [("gcc", lambda: shutil.which("gcc")), ("make", lambda: shutil.which("make")),
         ("cmake", lambda: shutil.which("cmake")), ("pkg-config", lambda: shutil.which("pkg-config")),
         ("libjansson-dev", lambda: shutil.which("pkg-config") and
          subprocess.run(["pkg-config", "--exists", "jansson"]).returncode == 0)]


def distribution():
    """ID and ID_LIKE words of /etc/os-release ("debian", "ubuntu", ...)."""
    words = set()
    try:
        with open("/etc/os-release") as fh:
            for line in fh:
                key, _, value = line.strip().partition("=")
                if key in ("ID", "ID_LIKE"):
                    words.update(value.strip('"').split())
    except OSError:
        pass
    return words


def install_command():
    """The command that installs PACKAGES here, or None where this is no Debian or Ubuntu."""
    if distribution() & {"debian", "ubuntu"}:
        return f"apt-get update && apt-get install -y {PACKAGES}"
    return None


def fix_text():
    """How to get the prerequisites, in one line."""
    cmd = install_command()
    if cmd:
        return f"run  sudo sh -c '{cmd}'  (or: sudo ./grader.py --install-deps)"
    return f"install the equivalents of the Debian packages {PACKAGES}"


def missing():
    """The packages whose tools the grader cannot find."""
    return [name for name, present in NEEDS if not present()]


def install():
    """--install-deps: runs the install command; the exit status (2 when it cannot run here)."""
    cmd = install_command()
    if cmd is None:
        print(f"grader: --install-deps knows Debian and Ubuntu only: {fix_text()}", file=sys.stderr)
        return 2
    if os.geteuid() != 0:
        print("grader: --install-deps needs root: sudo ./grader.py --install-deps", file=sys.stderr)
        return 2
    print(f"grader: {cmd}", file=sys.stderr, flush=True)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    return 0 if subprocess.run(["sh", "-c", cmd], env=env).returncode == 0 else 2

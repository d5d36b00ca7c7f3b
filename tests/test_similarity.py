"""--similarity: copied code flagged in a batch, the code every student was given discounted.

The class: alice and bob each wrote tcp_echo_serverSR.c from the skeleton, with the lecture's
code pasted in and helpers of their own (alice the reference's, bob variant_fork's); "carol<b>"
handed in alice's file disguised (identifiers renamed, comments rewritten, whitespace
reformatted, functions reordered); dave wrote tcp_client.c (the reference's); mallory's
tcp_client.c is a symbolic link to a secret copy of dave's. Graded on one cheap case: what
sim_c finds does not depend on the grades.
"""
import os
import re
import shutil
import sys
import tempfile

import pytest

from conftest import ROOT, run_grader

sys.path.insert(0, str(ROOT))
import assignments  # noqa: E402
import similarity  # noqa: E402
from grader import SIMILARITY_THRESHOLD  # noqa: E402 -- --similarity's default

PROGRAM = "tcp_echo_serverSR"
SKELETON = ROOT / "student_template" / f"{PROGRAM}.c"
LECTURE = ROOT / "tests" / "submissions" / "lecture" / f"{PROGRAM}.c"
SECRET = "TOP-SECRET-7f3a"
HOSTILE = '"</script><script>alert(1)</script><img src=x onerror=alert(2)>"'
QUICK = ["-k", "us.hex_message"]  # one cheap case: the similarity does not depend on the grades


def between(text, start, end):
    """TEXT from the first START up to the first END after it (END left out)."""
    i = text.index(start)
    return text[i:text.index(end, i)]


def edit(text, *edits):
    """TEXT with each (find, replace) of EDITS applied; each find must be there exactly once."""
    for find, replace in edits:
        assert text.count(find) == 1, f"{find!r} is not there exactly once"
        text = text.replace(find, replace)
    return text


def function(source, name):
    """The definition of the function NAME in SOURCE (the file's text), from its line on."""
    start = re.search(rf"^static [^\n]*\b{name}\(", source, re.M).start()
    return source[start:source.index("\n}\n", start) + 3] + "\n"


def from_skeleton(solution, helpers, *edits):
    """A tcp_echo_serverSR.c begun from the skeleton: its header comment, main and usage check
    kept, the lecture's main pasted where the TODOs were and changed by EDITS, and the HELPERS
    (globals and function names) of SOLUTION (a correct program's file) above main."""
    skeleton, lecture, source = SKELETON.read_text(), LECTURE.read_text(), solution.read_text()
    includes = "".join(re.findall(r"^#include <[^>]+>\n", source, re.M))
    own = "".join(h + "\n" if h.startswith("static volatile") else function(source, h) for h in helpers)
    return (skeleton[:skeleton.index("#include")] + includes + "\n" + between(lecture, "#define", "int main(")
            + own + "int main(int argc, char *argv[])\n{\n" + between(skeleton, "    if (argc != 3)", "    /* TODO")
            + edit(between(lecture, "    int fd, connfd", "\n}\n"), *edits) + "\n}\n")


def alice():
    """The reference's helpers around the lecture's server; a hostile string and comment."""
    return from_skeleton(
        ROOT / "reference" / f"{PROGRAM}.c",
        ["static volatile sig_atomic_t stop;", "on_stop", "parse_port"],
        ("    srv.sin_port = htons(atoi(argv[2]));\n",
         "    unsigned short p;\n"
         "    if (parse_port(argv[2], &p) < 0) {\n"
         '        fprintf(stderr, "tcp_echo_serverSR: bad port %s\\n", argv[2]);\n'
         "        return 2;\n"
         "    }\n"
         "    srv.sin_port = htons(p);\n"
         f"    const char *banner = {HOSTILE}; /* </pre></details><!-- */\n"
         "    (void)banner;\n"),
        ("    fd = socket(AF_INET, SOCK_STREAM, 0);\n",
         "    struct sigaction sa;\n"
         "    memset(&sa, 0, sizeof sa);\n"
         "    sa.sa_handler = on_stop;\n"
         "    sigaction(SIGTERM, &sa, NULL);\n"
         "    sigaction(SIGINT, &sa, NULL);\n"
         "    signal(SIGPIPE, SIG_IGN);\n"
         "    fd = socket(AF_INET, SOCK_STREAM, 0);\n"),
        ("while(1) {", "while (!stop) {"),
        ("    return 0;", "    close(fd);\n    return 0;"))


def bob():
    """variant_fork's helpers around the lecture's server."""
    return from_skeleton(
        ROOT / "tests" / "submissions" / "variant_fork" / f"{PROGRAM}.c",
        ["static volatile sig_atomic_t quit_requested;", "static volatile sig_atomic_t child_pid;",
         "request_quit", "port_of"],
        ("    srv.sin_port = htons(atoi(argv[2]));\n",
         "    long p = port_of(argv[2]);\n"
         "    if (p < 0) {\n"
         '        fputs("bad port\\n", stderr);\n'
         "        exit(2);\n"
         "    }\n"
         "    srv.sin_port = htons((unsigned short)p);\n"),
        ("    fd = socket(AF_INET, SOCK_STREAM, 0);\n",
         "    struct sigaction act;\n"
         "    memset(&act, 0, sizeof act);\n"
         "    act.sa_handler = request_quit;\n"
         "    if (sigaction(SIGTERM, &act, NULL) == -1 || sigaction(SIGINT, &act, NULL) == -1) {\n"
         '        perror("sigaction");\n'
         "        return 1;\n"
         "    }\n"
         "    fd = socket(AF_INET, SOCK_STREAM, 0);\n"),
        ("while(1) {", "while (!quit_requested) {"))


RENAMED = {"parse_port": "read_port_number", "send_all": "write_fully", "on_stop": "got_signal",
           "stop": "quitting", "srv": "local", "peer": "remote", "connfd": "conn", "fd": "listener",
           "buf": "data", "sz": "got", "addr": "text", "banner": "motd", "len": "left", "sa": "action"}


def disguise(text):
    """TEXT as a copier hands it in: identifiers renamed, every comment rewritten, indented
    with tabs, braces on lines of their own, the helper functions in another order."""
    text = re.sub(r"\b(" + "|".join(RENAMED) + r")\b", lambda m: RENAMED[m.group(1)], text)
    text = re.sub(r"/\*.*?\*/", lambda m: f"/* ({len(m.group())} chars of my own notes) */", text, flags=re.S)
    text = re.sub(r"^((?:    )+)", lambda m: "\t" * (len(m.group(1)) // 4), text, flags=re.M)
    text = re.sub(r"^(\t*)(\S.*\)) \{$", r"\1\2\n\1{", text, flags=re.M)
    funcs = [function(text, name) for name in ("got_signal", "read_port_number")]  # in alice's order
    for f in funcs:
        text = text.replace(f, "")
    return text.replace("int main(", "".join(reversed(funcs)) + "int main(")


CAROL = "carol<b>"  # a folder name is student data too
FLAGGED = re.compile(r"^    +(\d+)%  (\S+) ~ (\S+)  \(", re.M)


@pytest.fixture(scope="module")
def klass(tmp_path_factory):
    """The class folder, and the secret file mallory's link points at."""
    root = tmp_path_factory.mktemp("similarity")
    folder = root / "class"
    for name, text in (("alice", alice()), ("bob", bob()), (CAROL, disguise(alice()))):
        (folder / name).mkdir(parents=True)
        (folder / name / f"{PROGRAM}.c").write_text(text)
    (folder / "dave").mkdir()
    shutil.copy(ROOT / "reference" / "tcp_client.c", folder / "dave")
    secret = root / "secret.c"  # were it read, mallory ~ dave would be flagged, and the secret shown
    secret.write_text((ROOT / "reference" / "tcp_client.c").read_text() + f"/* {SECRET} */\n")
    (folder / "mallory").mkdir()
    (folder / "mallory" / "tcp_client.c").symlink_to(secret)
    return folder


@pytest.fixture(scope="module")
def graded(klass):
    """The class graded with --similarity: (process, OUT)."""
    out = klass.parent / "out"
    return run_grader("--batch", klass, "--out", out, "--similarity", *QUICK), out


def section(summary, program):
    """The lines of summary.txt's similarity section under PROGRAM."""
    part = summary.split("Similar pairs (sim_c, threshold 40%):\n")[1]
    block = part.split(f"  {program}:")[1]
    return block[:re.search(r"\n  \S|\Z", block).start()]


def scores(folder, names, given):
    """{(a, b): score} of every pair flagged at the default threshold, compared in-process."""
    result = similarity.compare(str(folder), names, [PROGRAM], {PROGRAM: given}, SIMILARITY_THRESHOLD,
                                sim=similarity.find_sim_c())
    assert result.error is None
    return {(p.a, p.b): p.score for p in result.pairs[PROGRAM]}


def test_independent_solutions_from_the_skeleton_and_the_lecture_are_not_flagged(graded, klass):
    proc, out = graded
    assert proc.returncode == 1, proc.stderr  # mallory's link: refused by the grading
    summary = (out / "summary.txt").read_text()
    assert "bob" not in section(summary, PROGRAM)
    # what keeps alice ~ bob apart is the discount: without it they would be flagged
    given = assignments.resolve(None).given_code([PROGRAM])[PROGRAM]  # what the batch discounts
    assert given == [str(SKELETON), str(LECTURE)]
    assert scores(klass, ["alice", "bob"], []).get(("alice", "bob"), 0) >= SIMILARITY_THRESHOLD
    assert scores(klass, ["alice", "bob"], given) == {}
    # two students handing in the lecture's own code: everything shared, all of it given
    for name in ("lena", "leo"):
        (klass.parent / "lecture_class" / name).mkdir(parents=True)
        shutil.copy(LECTURE, klass.parent / "lecture_class" / name)
    assert scores(klass.parent / "lecture_class", ["lena", "leo"], []) == {("lena", "leo"): 100.0}
    assert scores(klass.parent / "lecture_class", ["lena", "leo"], given) == {}


def test_a_disguised_copy_is_flagged_naming_the_pair(graded, klass):
    original, copy = (klass / "alice" / f"{PROGRAM}.c").read_text(), (klass / CAROL / f"{PROGRAM}.c").read_text()
    assert not re.search(r"\b(" + "|".join(RENAMED) + r")\b", copy)  # the disguise is thorough
    assert not set(re.findall(r"/\*.*?\*/", original, re.S)) & set(re.findall(r"/\*.*?\*/", copy, re.S))
    assert "\n    " not in copy and "\n\t" in copy
    assert original.index("on_stop(int") < original.index("parse_port(const")
    assert copy.index("got_signal(int") > copy.index("read_port_number(const")
    proc, out = graded
    summary = (out / "summary.txt").read_text()
    assert proc.stdout == summary  # printed too
    flagged = FLAGGED.findall(section(summary, PROGRAM))
    assert [(a, b) for _, a, b in flagged] == [("alice", CAROL)]
    assert int(flagged[0][0]) >= 80
    for program in ("unix_d_server", "unix_d_send", "tcp_qq_srver"):
        assert section(summary, program) == " none"
    # a rerun skips everyone as already graded, and still compares everyone
    again = run_grader("--batch", klass, "--out", out, "--similarity", *QUICK)
    assert again.stderr.count("skipped (already graded)") == 4
    assert (out / "summary.txt").read_text() == summary


def run_of(pre, text):
    """The run number whose link encloses TEXT in the <pre> PRE, or None."""
    at = pre.index(text)
    opened = [m for m in re.finditer(r'<a class="run c(\d+)" href="#sim\d+[ab](\d+)"', pre) if m.start() < at]
    if not opened or "</a>" in pre[opened[-1].end():at]:
        return None
    colour, run = opened[-1].groups()
    assert int(colour) == int(run) % 8
    return int(run)


def test_html_marks_the_runs_on_both_sides_and_escapes_student_code(graded):
    _, out = graded
    page = (out / "summary.html").read_text()
    for raw in ("<script", "</script", "<img", "<!--", "</pre></details>", CAROL):
        assert raw not in page
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x" in page
    assert "carol&lt;b&gt;" in page
    for fetch in ("<link", "url(", "<iframe", "<object"):
        assert fetch not in page
    similar = page[page.index('<h2 id="similar">'):]
    assert similar.count("<details>") == 1
    a_side, b_side = re.findall(r"<td><pre>(.*?)</pre></td>", similar, re.S)
    line = "v = v * 10 + (unsigned long)(*s - &#x27;0&#x27;);"  # parse_port's body, copied
    assert run_of(a_side, line) is not None and run_of(a_side, line) == run_of(b_side, line)
    for run in set(re.findall(r'id="sim1a(\d+)"', a_side)):  # every run: an anchor on each side, linked
        assert f'href="#sim1b{run}" id="sim1a{run}"' in a_side and f'href="#sim1a{run}" id="sim1b{run}"' in b_side
    printf = "printf(&quot;Received %d bytes from %s, port %d\\n&quot;"  # the lecture's: given, grey, uncounted
    for side in (a_side, b_side):
        assert re.search(r'<span class="given">[^<]*' + re.escape(printf), side)


def test_a_symbolic_link_is_not_read_through(graded, klass, tmp_path):
    _, out = graded
    summary = (out / "summary.txt").read_text()
    assert section(summary, "tcp_client") == " none\n    not compared: mallory/tcp_client.c (a symbolic link)"
    for report in ("summary.txt", "summary.html"):
        assert SECRET not in (out / report).read_text()
    # the same file as a regular one would be flagged: the link is what kept it out
    for name in ("dave", "mallory"):
        (tmp_path / name).mkdir()
    shutil.copy(klass / "dave" / "tcp_client.c", tmp_path / "dave")
    shutil.copy(os.path.realpath(klass / "mallory" / "tcp_client.c"), tmp_path / "mallory" / "tcp_client.c")
    result = similarity.compare(str(tmp_path), ["dave", "mallory"], ["tcp_client"], {}, SIMILARITY_THRESHOLD,
                                sim=similarity.find_sim_c())
    assert [(p.a, p.b) for p in result.pairs["tcp_client"]] == [("dave", "mallory")]


def test_only_regular_files_are_read(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "tcp_client.c").write_text("int main(void) { return 0; }\n")
    (tmp_path / "linked").symlink_to(tmp_path / "real")  # a submission folder that is a link
    (tmp_path / "fifo").mkdir()
    os.mkfifo(tmp_path / "fifo" / "tcp_client.c")  # would block an open() without O_NONBLOCK
    (tmp_path / "big").mkdir()
    (tmp_path / "big" / "tcp_client.c").write_text("x" * (similarity.FILE_CAP + 1))
    assert similarity.read_regular(str(tmp_path), "real", "tcp_client.c") == (b"int main(void) { return 0; }\n", None)
    assert similarity.read_regular(str(tmp_path), "real", "tcp_qq_srver.c") == (None, None)
    assert similarity.read_regular(str(tmp_path), "linked", "tcp_client.c") == (None, "the folder is a symbolic link")
    assert similarity.read_regular(str(tmp_path), "fifo", "tcp_client.c") == (None, "not a regular file")
    assert similarity.read_regular(str(tmp_path), "big", "tcp_client.c") == (None, "larger than 1 MiB")


def test_missing_sim_c_refuses_the_batch_at_once(tmp_path):
    (tmp_path / "class" / "one").mkdir(parents=True)
    (tmp_path / "bin").mkdir()  # a PATH without sim_c
    proc = run_grader("--batch", tmp_path / "class", "--out", tmp_path / "out", "--similarity",
                      env={"PATH": str(tmp_path / "bin")})
    assert proc.returncode == 2
    assert proc.stderr == "grader: --similarity needs sim_c (Debian's similarity-tester): run  " \
                          "apt-get install -y similarity-tester\n"
    assert not (tmp_path / "out" / "grades.csv").exists()  # nothing graded


@pytest.mark.parametrize("args, message", [
    (["{tmp}/one", "--similarity"], "--similarity goes with --batch"),
    (["{tmp}/one", "--similarity-threshold", "50"], "--similarity-threshold goes with --batch"),
    (["--batch", "{tmp}", "--out", "{tmp}/out", "--similarity-threshold", "50"],
     "--similarity-threshold goes with --similarity"),
    (["--batch", "{tmp}", "--out", "{tmp}/out", "--similarity", "--similarity-threshold", "0"], "above 0"),
    (["--batch", "{tmp}", "--out", "{tmp}/out", "--similarity", "--similarity-threshold", "101"], "at most 100"),
])
def test_similarity_options_are_checked(tmp_path, args, message):
    proc = run_grader(*(a.format(tmp=tmp_path) for a in args))
    assert proc.returncode == 2 and message in proc.stderr


@pytest.fixture
def fake_sim(tmp_path):
    """FAKE_SIM(script): an executable sim_c that the user nobody can run; its path."""
    base = tempfile.mkdtemp(prefix="fake-sim-")
    os.chmod(base, 0o755)

    def make(script):
        path = os.path.join(base, "sim_c")
        with open(path, "w") as fh:
            fh.write(script)
        os.chmod(path, 0o755)
        return path

    yield make
    shutil.rmtree(base)


def test_a_failing_sim_c_is_one_line_and_the_grades_stand(graded, klass, fake_sim, tmp_path):
    _, out = graded
    shutil.copytree(out, tmp_path / "out")
    fake = fake_sim("#!/bin/sh\necho 'sim_c: out of memory' >&2\nexit 1\n")
    proc = run_grader("--batch", klass, "--out", tmp_path / "out", "--similarity", *QUICK,
                      env={"PATH": os.path.dirname(fake) + ":" + os.environ["PATH"]})
    assert proc.returncode == 1  # as before: mallory, and nothing else
    summary = (tmp_path / "out" / "summary.txt").read_text()
    assert summary.endswith("\nSimilar pairs (sim_c, threshold 40%): not compared: sim_c failed (exit 1): "
                            "sim_c: out of memory (the grades stand)\n")
    assert (tmp_path / "out" / "grades.csv").read_text() == (out / "grades.csv").read_text()
    assert "not compared: sim_c failed (exit 1)" in (tmp_path / "out" / "summary.html").read_text()


@pytest.mark.parametrize("script, message", [
    ("#!/bin/bash\nexec -a {token} tail -f /dev/null\n", "sim_c did not finish within 1 s"),
    ("#!/bin/bash\nexec -a {token} yes\n", "sim_c's output passed 1 MiB"),
])
def test_a_hanging_or_flooding_sim_c_is_stopped(klass, fake_sim, monkeypatch, script, message):
    token = f"fake-sim-{os.getpid()}"
    monkeypatch.setattr(similarity, "OUTPUT_CAP", 1 << 20)
    result = similarity.compare(str(klass), ["alice", "bob"], [PROGRAM], {}, SIMILARITY_THRESHOLD,
                                sim=fake_sim(script.format(token=token)), timeout=1)
    assert result.error == message
    assert similarity.summary_lines(result) == [f"Similar pairs (sim_c, threshold 40%): not compared: {message} "
                                                "(the grades stand)"]
    for pid in os.listdir("/proc"):  # killed, not left behind
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                assert not fh.read().startswith(token.encode())
        except (FileNotFoundError, ProcessLookupError, NotADirectoryError):
            pass


def test_the_install_command_names_the_package_ci_installs():
    import platforms
    assert similarity.INSTALL == f"apt-get install -y {platforms.SIMILARITY_PACKAGES}"
    assert similarity.INSTALL in similarity.missing_message()
    ci = re.search(r'\nTEST_PACKAGES="(.+)"', (ROOT / ".ci" / "run").read_text()).group(1).split()
    assert platforms.SIMILARITY_PACKAGES in ci
    assert platforms.SIMILARITY_PACKAGES not in platforms.PACKAGES.split()  # no grading needs it
    assert similarity.INSTALL in (ROOT / "README.md").read_text()

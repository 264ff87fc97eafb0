"""Speed and scale: learner and manager pages as multiples of a floor app under wrk, the matrix, coverage and
evidence pages at growing sizes, the streamed CSV export's time and peak memory.

`make bench` runs the quick mode (manager pages at 500 and 5,000 people, export at 5,000); `make bench-full`
(BENCH_FULL=1) adds 50,000 people x 20 courses (the organisation is generated first). BENCH_PG=1 (set by
`make bench-full`) also measures the manager pages on PostgreSQL at 5,000 and 100,000 people x 30 courses, in a database
`bench_scale` it creates and drops on BENCH_PG_SERVER (default postgres@127.0.0.1:5432), and prints the plan of each
of the matrix page's queries at 100,000 (BENCH_PG_ONLY=1: that part alone). BENCH_SKIP_RATIOS=1 leaves out the wrk
ratios and the export (the page lines alone).
"""

from __future__ import annotations

import os
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import event, select

from tracker import create_app, fragments
from tracker.demo import large
from tracker.extensions import db
from tracker.models import Certificate, Course, Module, Role, User
from tracker.services import accounts

PASSWORD = "benchmark passphrase 2026"
ADMIN = "bench-admin@example.com"
LEARNER = "bench-learner@example.com"
REPEATS = 5
WRK_SECONDS = int(os.environ.get("BENCH_WRK_SECONDS", "3"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))  # floor-and-page pairs per page
FULL = os.environ.get("BENCH_FULL", "") not in ("", "0")
SIZES = (500, 5000, 50000) if FULL else (500, 5000)
PG = os.environ.get("BENCH_PG", "") not in ("", "0")  # the matrix on PostgreSQL too (bench-full sets it)
PG_SERVER = os.environ.get("BENCH_PG_SERVER", "postgresql+psycopg://postgres@127.0.0.1:5432")
PG_DATABASE = "bench_scale"  # created and dropped here
PG_SIZES = (5000, 100000)
PG_COURSES = 30  # the large organisation the issue asks for: 100,000 learners x 30 courses
USER_AGENT = "bench (wrk)"
SKIP_RATIOS = os.environ.get("BENCH_SKIP_RATIOS", "") not in ("", "0")  # the page lines alone: no wrk, no export
COVERAGE_URL = "/programme/coverage"
EVIDENCE = "/reports/evidence"  # the evidence report's first page (the whole organisation)


def _app(workdir: Path, url: str | None = None):
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url or f"sqlite:///{workdir / 'bench.db'}",
            "INSTANCE_PATH": str(workdir),
            "SECRET_KEY": "bench-secret-key-" + "b" * 40,
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
        }
    )


def _grow(app, people: int, courses: int = 20) -> float:
    """Add learners (`courses` courses) until the organisation has `people`; seconds taken."""
    started = time.perf_counter()
    with app.app_context():
        db.create_all()
        have = db.session.scalar(select(db.func.count()).select_from(User)) or 0
        if have == 0:
            accounts.create_user(accounts.NewUser(ADMIN, "Bench Admin", PASSWORD, Role.ADMIN.value))
            accounts.create_user(accounts.NewUser(LEARNER, "Bench Learner", PASSWORD, Role.LEARNER.value))
            db.session.commit()
            have = 2
        if people > have:
            large.load_large(people - have, courses)
            db.session.commit()
    return time.perf_counter() - started


def _measure(app, client, url: str, statements: list | None = None, *, first_view: bool = False) -> tuple[int, float]:
    """Statements of one request to `url` and the median time of REPEATS more. `first_view`: every kept page
    fragment dropped before each (a page whose people nobody has viewed since the process started)."""
    statements = [] if statements is None else statements

    def count(_conn, _cursor, statement, parameters, *_args):
        statements.append((statement, parameters))

    client.get(url).close()
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    client.get(url).close()
    event.remove(engine, "before_cursor_execute", count)
    timings = []
    for _ in range(REPEATS):
        if first_view:
            fragments.clear(app)
        started = time.perf_counter()
        response = client.get(url)
        _ = response.data
        timings.append(time.perf_counter() - started)
    assert response.status_code == 200, (url, response.status_code)
    return len(statements), statistics.median(timings)


# The manager pages measured at each size: (name, first page, filtered or sorted variants).
MANAGER_PAGES = (
    ("matrix", "/manager/", ("/manager/?sort=completion", "/manager/?status=overdue")),
    ("coverage", COVERAGE_URL, (f"{COVERAGE_URL}?status=missing", f"{COVERAGE_URL}?status=expiring")),
    ("evidence", EVIDENCE, ()),
)


def _manager_pages(app, client, size: int, counts: dict[str, set[int]], prefix: str = "", statements=None) -> list:
    """The first page of each manager page (and its variants) at this size; each page's statement count goes into
    `counts`, and the matrix's statements into `statements` when given (for their plans)."""
    lines = []
    for name, url, variants in MANAGER_PAGES:
        queries, seconds = _measure(app, client, url, statements if name == "matrix" else None)
        _q, first = _measure(app, client, url, first_view=True)
        counts.setdefault(name, set()).add(queries)
        lines.append(
            f"{prefix}{name} first page at {size:>7,} people: {seconds * 1000:6.1f} ms, {queries} SQL"
            f" (first view, nothing kept: {first * 1000:.1f} ms)"
        )
        for variant in variants:
            q, s = _measure(app, client, variant)
            lines.append(f"    {variant}: {s * 1000:6.1f} ms, {q} SQL")
    return lines


def _same_counts(counts: dict[str, set[int]], prefix: str = "") -> list[str]:
    return [
        f"{prefix}{name} SQL statements at every size: {'the same' if len(found) == 1 else 'DIFFERENT'}"
        for name, found in counts.items()
    ]


EXPORT_SCRIPT = """
import sys, time
sys.path.insert(0, {root!r})
from benchmarks.bench_scale import _app, ADMIN, PASSWORD
from pathlib import Path
from sqlalchemy import select
from tracker.extensions import db
from tracker.models import User
from tracker.services import sessions
app = _app(Path({workdir!r}))
client = app.test_client()
# Signed in with a session made directly: the sign-in form's password check (scrypt) needs 32 MB by design, which
# would be this process's peak, not the export's.
with app.app_context():
    admin = db.session.scalars(select(User).where(User.email == ADMIN)).one()
    _session, secret = sessions.start(admin, "127.0.0.1", "bench", sessions.Timeouts.from_config(app.config))
    db.session.commit()
with client.session_transaction() as cookie:
    cookie["_user_id"] = secret
    cookie["_fresh"] = True
baseline = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM"))
started = time.perf_counter()
response = client.get("/manager/export.csv", buffered=False)
size = lines = 0
for chunk in response.response:
    size += len(chunk)
    lines += chunk.count(b"\\n") if isinstance(chunk, bytes) else chunk.count("\\n")
response.close()
peak = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM"))
print(time.perf_counter() - started, size, lines, peak, baseline)
"""


def _export(workdir: Path) -> tuple[float, int, int, int, int]:
    """Seconds, bytes, lines, peak RSS and the peak before the export (KB, VmHWM: not inherited from this process)
    of a whole-organisation CSV export, in a process of its own."""
    root = str(Path(__file__).resolve().parent.parent)
    out = subprocess.run(  # noqa: S603  (our own script)
        [sys.executable, "-c", EXPORT_SCRIPT.format(root=root, workdir=str(workdir))],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return float(out[0]), int(out[1]), int(out[2]), int(out[3]), int(out[4])


# -- wrk against gunicorn ----------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(app_spec: str, workdir: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = {
        **os.environ,
        "BENCH_DATABASE_URL": f"sqlite:///{workdir / 'bench.db'}",
        "BENCH_INSTANCE": str(workdir),
    }
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    command = [gunicorn, "-w", "1", "-k", "sync", "-b", f"127.0.0.1:{port}", "--log-level", "warning", app_spec]
    if shutil.which("taskset") and (os.cpu_count() or 1) > 1:
        command = ["taskset", "-c", "0", *command]  # the server on one core, wrk on the other
    root = str(Path(__file__).resolve().parent.parent)
    process = subprocess.Popen(command, env=env, cwd=root)  # noqa: S603  (fixed commands)
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.1):
                return process, base
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"{app_spec} did not start")


def _wrk(url: str, cookie: str | None = None) -> float:
    """Median latency (ms) of one connection hammering `url` for WRK_SECONDS (wrk on core 1)."""
    command = ["wrk", "-t1", "-c1", f"-d{WRK_SECONDS}s", "--latency", "-H", f"User-Agent: {USER_AGENT}", url]
    if cookie:
        command[1:1] = ["-H", f"Cookie: {cookie}"]
    if shutil.which("taskset") and (os.cpu_count() or 1) > 1:
        command = ["taskset", "-c", "1", *command]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout  # noqa: S603
    requests = re.search(r"Requests/sec:\s+([\d.]+)", out)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non_2xx:
        raise RuntimeError(f"{url}: {non_2xx.group(1)} error answers")
    return 1000.0 / float(requests.group(1))  # ms per request, one connection


def _cookie(base: str, email: str) -> str:
    import requests

    session = requests.Session()
    session.headers["User-Agent"] = USER_AGENT  # as a browser: the same agent on every request
    session.post(f"{base}/login", data={"email": email, "password": PASSWORD}, allow_redirects=False)
    # A browser keeps the cookie its first page sets (the form secret, made on first use): wrk replays one cookie,
    # which must be that one, or every request would make a new secret and send a new cookie.
    session.get(f"{base}/")
    return "; ".join(f"{c.name}={c.value}" for c in session.cookies)


def _learner_urls(app) -> dict[str, str]:
    with app.app_context():
        course = db.session.scalars(select(Course).where(Course.published.is_(True)).order_by(Course.id)).first()
        module = db.session.scalars(
            select(Module).where(Module.course_id == course.id).order_by(Module.position)
        ).first()
        lesson = module.lessons[0]
        code = db.session.scalar(select(Certificate.code).limit(1))
    prefix = f"/courses/{course.slug}"
    return {
        "dashboard": "/",
        "course": prefix,
        "lesson": f"{prefix}/modules/{module.slug}/lessons/{lesson.slug}",
        "quiz start": f"{prefix}/modules/{module.slug}/quiz",
        "verify": f"/verify/{code}",
        "matrix": "/manager/",
    }


def _ratios(app, workdir: Path) -> list[str]:
    """Each page's cost as a multiple of the floor's. The floor is measured again just before each page, and the
    ratio taken per pair: on a shared machine the speed drifts by a third between runs, far more than it moves
    within a pair; the median of the pairs' ratios is printed, with their spread."""
    urls = _learner_urls(app)
    floor, floor_base = _serve("benchmarks.serve:floor()", workdir)
    server, base = _serve("benchmarks.serve:tracker()", workdir)
    try:
        learner, admin = _cookie(base, LEARNER), _cookie(base, ADMIN)
        floors: list[float] = []
        pages: dict[str, list[float]] = {name: [] for name in urls}
        ratios: dict[str, list[float]] = {name: [] for name in urls}
        for _round in range(ROUNDS):
            for name, path in urls.items():
                cookie = admin if name == "matrix" else None if name == "verify" else learner
                floor_ms = _wrk(floor_base + "/")
                page_ms = _wrk(base + path, cookie)
                floors.append(floor_ms)
                pages[name].append(page_ms)
                ratios[name].append(page_ms / floor_ms)
    finally:
        for process in (floor, server):
            process.terminate()
            process.wait()
    lines = [
        f"floor (bare Flask, one session.get, precompiled template): {statistics.median(floors):.2f} ms per request"
    ]
    for name in urls:
        ratio = statistics.median(ratios[name])
        spread = f"{min(ratios[name]):.1f}-{max(ratios[name]):.1f}"
        ms = statistics.median(pages[name])
        lines.append(f"{name:<11} {ms:7.2f} ms  {ratio:5.1f}x the floor (pairs {spread})")
    return lines


def _pg_admin(statement: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(statement))
    engine.dispose()


def _explain(app, statements: list) -> list[str]:
    """The top node of each SELECT's plan (and the index or table it reads first)."""
    lines = []
    with app.app_context():
        raw = db.engine.raw_connection()
        try:
            cursor = raw.cursor()
            for statement, parameters in statements:
                if not statement.lstrip().upper().startswith(("SELECT", "WITH")):
                    continue
                cursor.execute("EXPLAIN (FORMAT JSON) " + statement, parameters)
                plan = cursor.fetchone()[0][0]["Plan"]
                node, path = plan, []
                while True:
                    path.append(node["Node Type"] + (f" on {node['Index Name']}" if "Index Name" in node else ""))
                    if "Index Name" in node or "Relation Name" in node or not node.get("Plans"):
                        break
                    node = node["Plans"][0]
                leaf = node.get("Index Name") or node.get("Relation Name") or ""
                first = " ".join(statement.split())[:70]
                lines.append(f"    {path[0]:<22} cost {plan['Total Cost']:>10.1f}  first read: {leaf:<34} {first}")
        finally:
            raw.close()
    return lines


def _run_pg() -> list[str]:
    """The manager pages' first pages on PostgreSQL at 5,000 and 100,000 people x 30 courses, with the plans of
    the matrix page's statements at the largest size."""
    lines = []
    _pg_admin(f"DROP DATABASE IF EXISTS {PG_DATABASE}")
    _pg_admin(f"CREATE DATABASE {PG_DATABASE}")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            app = _app(Path(tmp), f"{PG_SERVER}/{PG_DATABASE}")
            client = app.test_client()
            counts: dict[str, set[int]] = {}
            for size in PG_SIZES:
                built = _grow(app, size, PG_COURSES)
                client.post("/login", data={"email": ADMIN, "password": PASSWORD})
                lines.append(
                    f"PostgreSQL organisation of {size:,} people x {PG_COURSES} courses generated in {built:.1f} s"
                )
                statements: list = []
                lines += _manager_pages(app, client, size, counts, "PostgreSQL ", statements)
            lines += _same_counts(counts, "PostgreSQL ")
            lines.append(f"plans of the matrix page's SELECTs at {PG_SIZES[-1]:,} people:")
            lines += _explain(app, statements)
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
    finally:
        _pg_admin(f"DROP DATABASE IF EXISTS {PG_DATABASE}")
    return lines


def run() -> list[str]:
    if PG and os.environ.get("BENCH_PG_ONLY"):
        return _run_pg()
    lines = [f"mode: {'full' if FULL else 'quick'} (sizes {', '.join(f'{s:,}' for s in SIZES)}; BENCH_FULL=1 for all)"]
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        app = _app(workdir)
        client = app.test_client()
        counts: dict[str, set[int]] = {}
        for size in SIZES:
            built = _grow(app, size)
            if not counts:  # learner pages measured on the smallest organisation, with the same data
                client.post("/login", data={"email": ADMIN, "password": PASSWORD})
                if not SKIP_RATIOS:
                    try:
                        lines += _ratios(app, workdir)
                    except (OSError, RuntimeError, subprocess.CalledProcessError) as exc:
                        lines.append(f"page ratios skipped: {exc}")
            lines.append(f"organisation of {size:,} people x 20 courses generated in {built:.1f} s")
            lines += _manager_pages(app, client, size, counts)
        lines += _same_counts(counts)
        if not SKIP_RATIOS:
            seconds, size, rows, rss, before = _export(workdir)
            lines.append(
                f"CSV export of {SIZES[-1]:,} x 20 ({rows - 1:,} rows, {size / 1_048_576:.0f} MB): {seconds:.1f} s, "
                f"peak RSS {rss / 1024:.0f} MB (whole process; {before / 1024:.0f} MB before the export)"
            )
        with app.app_context():
            db.engine.dispose()
    if PG:
        lines += _run_pg()
    lines.append(f"benchmark process peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    return lines

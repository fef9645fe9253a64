#!/usr/bin/env python3
"""usage-gen on Spark: one `gen generate --parts N --part K` per task, then `gen verify`, then the
tables and the `joint_info` view registered in Spark SQL.

    spark-submit spark/gen_spark.py --gen target/release/gen --out /shared/usage --parts 16

The driver prepares --out with `gen generate --metadata-only` (the user's --config, --seed and --set
resolved into the effective config, --out/_metadata/config.yaml, which every task then reads from
the shared directory); the gen binary is shipped to the executors with SparkContext.addFile;
tasks are scheduled with DataFrame APIs only (spark.range(...).mapInArrow(...)), so the job also
runs where RDDs are unavailable. A task that fails is retried by Spark (spark.task.maxFailures):
gen writes each file unnamed and renames it when complete and writes the part's manifest last, so
a killed attempt leaves nothing and a retry regenerates the same bytes, or skips a part that was
complete. See spark/README.md.
"""

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

# What each task reports back.
RESULT_SCHEMA = (
    "part long, attempt int, host string, status string, joint_rows long, "
    "seconds double, gen_peak_rss_mb double"
)

# The joint view of migrations/V5__anomalies.sql (`joint_rows`) in Spark SQL, column for column.
# DuckDB's round(x, 2) is C's round(x * 100) / 100 on doubles; Spark's round(x, 2) rounds the
# double's decimal form half up, which differs (1.005 -> 1.01 against DuckDB's 1.0), so the view
# rounds x * 100 to a whole number (where the two agree) and divides.
JOINT_SQL = """
CREATE OR REPLACE TEMPORARY VIEW joint_info AS
WITH usage AS (
    SELECT
        chat_id,
        date,
        sum(cost)     FILTER (WHERE service = 'dialog')          AS cost_dialog,
        sum(cost)     FILTER (WHERE service = 'tasks')           AS cost_task,
        sum(cost)     FILTER (WHERE service = 'classifications') AS cost_classifications,
        sum(cost)     FILTER (WHERE service = 'amocrm_call')     AS cost_amocrm_call,
        sum(n_events) FILTER (WHERE service = 'tasks')           AS n_tasks,
        sum(n_events) FILTER (WHERE service = 'classifications') AS n_classifications,
        sum(n_events) FILTER (WHERE service = 'amocrm_call')     AS n_amocrm_calls
    FROM service_days
    GROUP BY chat_id, date
),
joined AS (
    SELECT
        cd.account_id,
        cd.chat_id,
        c.chat_type,
        cd.date,
        CAST(coalesce(u.cost_dialog, 0) AS DOUBLE)          AS cost_dialog,
        CAST(coalesce(u.cost_task, 0) AS DOUBLE)            AS cost_task,
        CAST(coalesce(u.cost_classifications, 0) AS DOUBLE) AS total_cost_classifications,
        CAST(coalesce(u.cost_amocrm_call, 0) AS DOUBLE)     AS cost_amocrm_call,
        CAST(u.cost_task IS NOT NULL AS INT)                AS has_tasks,
        CAST(u.cost_classifications IS NOT NULL AS INT)     AS has_classifications,
        CAST(u.cost_amocrm_call IS NOT NULL AS INT)         AS has_amocrm_call,
        CAST(coalesce(u.n_tasks, 0) AS INT)                 AS n_tasks,
        CAST(coalesce(u.n_classifications, 0) AS INT)       AS n_classifications,
        CAST(coalesce(u.n_amocrm_calls, 0) AS INT)          AS n_amocrm_calls
    FROM chat_days cd
    JOIN chats c ON c.chat_id = cd.chat_id
    LEFT JOIN usage u ON u.chat_id = cd.chat_id AND u.date = cd.date
),
split AS (
    SELECT j.*,
           round(j.total_cost_classifications * {split_qc} * 100, 0) / 100 AS cost_qc,
           round((round(j.total_cost_classifications * ({split_qc} + {split_check_list}) * 100, 0) / 100
                  - round(j.total_cost_classifications * {split_qc} * 100, 0) / 100) * 100, 0) / 100
               AS cost_check_list
    FROM joined j
)
SELECT
    account_id,
    lpad(CAST(chat_id AS STRING), {chat_id_digits}, '0')                       AS chat_id,
    chat_type,
    date,
    cost_dialog,
    cost_task,
    cost_task                                                                   AS total_cost_tasks,
    round((total_cost_classifications - cost_qc - cost_check_list) * 100, 0) / 100 AS cost_classification,
    cost_qc,
    cost_check_list,
    total_cost_classifications,
    cost_amocrm_call,
    round((cost_dialog + cost_task + total_cost_classifications + cost_amocrm_call) * 100, 0) / 100
                                                                                AS total_cost,
    has_tasks,
    has_classifications,
    has_amocrm_call,
    has_tasks + has_classifications + has_amocrm_call                           AS num_services,
    CAST(has_tasks + has_classifications + has_amocrm_call >= 2 AS INT)         AS has_both,
    n_tasks,
    n_classifications,
    n_amocrm_calls
FROM split
"""


def double_literal(x):
    """A Spark SQL DOUBLE literal with every bit of `x` (repr is the shortest round-trip form)."""
    return f"CAST('{float(x)!r}' AS DOUBLE)"


def parse_args(argv):
    p = argparse.ArgumentParser(
        description="Generate a usage-gen dataset on Spark: one gen part per task, verified, "
        "then registered in Spark SQL (tables and the joint_info view)."
    )
    p.add_argument(
        "--gen",
        help="the gen binary, shipped to the executors [default: target/release/gen of this "
        "repository, then $CARGO_TARGET_DIR/release/gen, then gen on PATH]",
    )
    p.add_argument(
        "--out",
        required=True,
        help="the dataset's directory, at the same path on the driver and every executor "
        "(a shared file system: gen writes POSIX files)",
    )
    p.add_argument("--parts", type=int, required=True, help="parts (tasks), 1 to the config's blocks")
    p.add_argument("--config", action="append", default=[], help="gen --config file, read on the driver (repeatable)")
    p.add_argument("--seed", type=int, help="gen --seed")
    p.add_argument("--set", action="append", default=[], dest="sets", metavar="KEY=VALUE", help="gen --set (repeatable)")
    p.add_argument("--threads", type=int, default=1, help="gen threads per task (match spark.task.cpus; default 1)")
    p.add_argument("--overwrite", action="store_true", help="gen --overwrite: replace another dataset in --out")
    p.add_argument("--reread", action="store_true", help="gen verify --reread: hash every file again on the driver")
    p.add_argument("--sql", action="append", default=[], help="a Spark SQL query to show at the end (repeatable)")
    p.add_argument(
        "--summary",
        help="write the run's figures as JSON to this file (a new file outside --out; checked before any work, "
        "written atomically at the end)",
    )
    p.add_argument("--force", action="store_true", help="replace an existing --summary file")
    p.add_argument(
        "--fail-once",
        type=int,
        metavar="K",
        help="testing: the first attempt of part K starts gen, kills it while it writes the part's files "
        "and fails, so Spark retries it",
    )
    args = p.parse_args(argv)
    if args.parts < 1:
        p.error("--parts must be at least 1")
    if args.gen is None:
        args.gen = find_gen()
        if args.gen is None:
            p.error("no gen binary found (tried target/release/gen, $CARGO_TARGET_DIR/release/gen and PATH): "
                    "build it with cargo build --release, or pass --gen PATH")
    if args.summary is not None:
        problem = summary_problem(args)
        if problem:
            p.error(problem)
    return args


def summary_problem(args):
    """Why --summary cannot be written, or None: checked before any work, so that a bad path does
    not fail after the whole job (or write into the dataset it has just verified)."""
    path = os.path.abspath(args.summary)
    shown = args.summary
    if args.summary.endswith(os.sep) or os.path.isdir(path):
        return f"--summary {shown} is a directory; give a file name"
    parent = os.path.dirname(path)
    if not os.path.isdir(parent):
        return f"--summary {shown}: its directory {parent} does not exist (it is not created)"
    # Resolved, so that no symlink or `..` hides where it really goes.
    real = os.path.join(os.path.realpath(parent), os.path.basename(path))
    if os.path.islink(path):
        real = os.path.realpath(path)
    out = os.path.realpath(args.out)
    if real == out or real.startswith(out + os.sep):
        return f"--summary {shown} is inside --out {args.out}, the dataset's directory; write it elsewhere"
    for c in args.config + ([args.gen] if args.gen else []):
        if os.path.exists(real) and os.path.exists(c) and os.path.samefile(real, c):
            return f"--summary {shown} is {c}, an input of this run; write it elsewhere"
    if os.path.lexists(path):
        if not os.path.isfile(path):
            return f"--summary {shown} exists and is not a regular file; give a file name"
        if not args.force:
            return f"--summary {shown} already exists; pass --force to replace it"
    if not os.access(parent, os.W_OK | os.X_OK):
        return f"--summary {shown}: cannot create a file in {parent}"
    return None


def write_summary(path, summary, force):
    """Writes the summary as a temporary file beside `path`, then moves it into place: over an
    existing file only with `force` (os.replace), else only if the name is still free (os.link
    never replaces), so a reader never sees half a file and nothing else is clobbered."""
    path = os.path.abspath(path)
    fd, temp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=f".{os.path.basename(path)}.tmp-")
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(summary, f, indent=2)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        if force:
            os.replace(temp, path)
        else:
            os.link(temp, path)
    finally:
        if os.path.lexists(temp):
            os.unlink(temp)


def find_gen():
    """The gen binary of this repository's release build, of $CARGO_TARGET_DIR's, or on PATH."""
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    candidates = [os.path.join(repo, "target", "release", "gen")]
    if os.environ.get("CARGO_TARGET_DIR"):
        candidates.append(os.path.join(os.environ["CARGO_TARGET_DIR"], "release", "gen"))
    for c in candidates:
        if os.access(c, os.X_OK):
            return c
    return shutil.which("gen")


def config_args(args):
    """The driver's flags that choose the dataset: --config (absolute), --seed, --set."""
    out = []
    for c in args.config:
        out += ["--config", os.path.abspath(c)]
    if args.seed is not None:
        out += ["--seed", str(args.seed)]
    for s in args.sets:
        out += ["--set", s]
    return out


def part_args(args):
    """The generate flags common to every part: the effective config the driver wrote into
    --out/_metadata (so a config's `extends:` and --set need not travel to the executors)."""
    return [
        "--out", args.out, "--parts", str(args.parts), "--threads", str(args.threads),
        "--config", os.path.join(args.out, "_metadata", "config.yaml"),
    ]


def executable(path):
    """`path` made executable (SparkFiles may drop the mode), or an executable copy of it."""
    if os.access(path, os.X_OK):
        return path
    try:
        os.chmod(path, 0o755)
        return path
    except OSError:
        copy = os.path.join(tempfile.mkdtemp(prefix="usage-gen-"), "gen")
        shutil.copy(path, copy)
        os.chmod(copy, 0o755)
        return copy


def kill_while_writing(proc, out):
    """Kills `proc` (a gen generate) once it holds a file open under `out` (its unnamed part
    files show in /proc as `DIR/<table>/#inode (deleted)`), or when it ends by itself first."""
    out = os.path.realpath(out)
    fd_dir = f"/proc/{proc.pid}/fd"
    deadline = time.time() + 60
    while proc.poll() is None and time.time() < deadline:
        try:
            targets = [os.readlink(os.path.join(fd_dir, fd)) for fd in os.listdir(fd_dir)]
        except OSError:
            targets = []
        if any(t.startswith(out + os.sep) and not t.startswith(os.path.join(out, "_metadata")) for t in targets):
            break
        time.sleep(0.001)
    proc.kill()
    return proc.wait()


def peak_rss_mb(stdout):
    """gen generate's own peak RSS from its summary line (`…; peak RSS 65 MB`), or NaN."""
    match = re.search(r"peak RSS (\d+) MB", stdout)
    return float(match.group(1)) if match else float("nan")


def part_runner(settings):
    """The mapInArrow function: runs gen for each part id of the task's batches."""

    def run(batches):
        import pyarrow as pa
        from pyspark import SparkFiles, TaskContext

        gen = executable(SparkFiles.get(settings["gen_name"]))
        ctx = TaskContext.get()
        attempt = ctx.attemptNumber() if ctx is not None else 0
        for batch in batches:
            for part in batch.column(0).to_pylist():
                cmd = [gen, "generate", "--part", str(part)] + part_args(settings["args"])
                if settings["args"].fail_once == part and attempt == 0:
                    victim = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                    code = kill_while_writing(victim, settings["args"].out)
                    how = "killed it while it wrote the part's files" if code < 0 else f"saw it exit {code} first"
                    raise RuntimeError(f"injected failure: the first attempt of part {part} started gen and {how}")
                started = time.time()
                done = subprocess.run(cmd, capture_output=True, text=True)
                seconds = time.time() - started
                if done.returncode != 0:
                    raise RuntimeError(
                        f"gen generate --part {part} of {settings['args'].parts} failed "
                        f"(exit {done.returncode}): {done.stderr.strip()}"
                    )
                name = f"part-{part:05d}-of-{settings['args'].parts:05d}"
                with open(os.path.join(settings["args"].out, "_metadata", name + ".json")) as f:
                    manifest = json.load(f)
                row = {
                    "part": part,
                    "attempt": attempt,
                    "host": socket.gethostname(),
                    "status": "skipped" if f"{name}: already complete" in done.stdout else "written",
                    "joint_rows": next(t["rows"] for t in manifest["tables"] if t["table"] == "chat_days"),
                    "seconds": seconds,
                    "gen_peak_rss_mb": peak_rss_mb(done.stdout),
                }
                yield pa.RecordBatch.from_pylist([row], schema=pa.schema(_arrow_fields()))

    return run


def _arrow_fields():
    import pyarrow as pa

    return [
        ("part", pa.int64()),
        ("attempt", pa.int32()),
        ("host", pa.string()),
        ("status", pa.string()),
        ("joint_rows", pa.int64()),
        ("seconds", pa.float64()),
        ("gen_peak_rss_mb", pa.float64()),
    ]


def register(spark, out):
    """Registers the tables of the dataset in `out` (the seven its _metadata/dataset.json lists),
    anomaly_labels when it has anomalies, and the joint_info view as temporary views of `spark`;
    returns the dataset's provenance."""
    with open(os.path.join(out, "_metadata", "dataset.json")) as f:
        dataset = json.load(f)
    for table in dataset["tables"]:
        spark.read.parquet(os.path.join(out, table)).createOrReplaceTempView(table)
    # A dataset with anomalies has their labels beside the tables (the rows of anomaly_labels).
    labels = os.path.join(out, "anomaly_labels")
    if os.path.isdir(labels) and any(f.endswith(".parquet") for f in os.listdir(labels)):
        spark.read.parquet(labels).createOrReplaceTempView("anomaly_labels")
    joint = dataset["joint_view"]
    spark.sql(
        JOINT_SQL.format(
            split_qc=double_literal(joint["split_qc"]),
            split_check_list=double_literal(joint["split_check_list"]),
            chat_id_digits=int(joint["chat_id_digits"]),
        )
    )
    return dataset


def main(argv):
    args = parse_args(argv)
    try:
        import pyarrow  # noqa: F401  (mapInArrow needs it on the driver and every executor)
    except ImportError:
        print(
            "error: pyarrow is missing from this Python; mapInArrow needs it here and on every executor "
            "(pip install -r scripts/python-requirements.txt, or point PYSPARK_PYTHON at a Python that has it)",
            file=sys.stderr,
        )
        return 2
    from pyspark.sql import SparkSession

    gen = os.path.abspath(args.gen)
    # The executors resolve paths against their own working directories.
    args.out = os.path.abspath(args.out)
    # The config, --parts and the directory are checked here, once, before any task starts: gen
    # plans the dataset and writes (or finds) its provenance in --out/_metadata, or refuses a
    # directory of another dataset (unless --overwrite), a bad config or too many parts.
    cmd = (
        [gen, "generate", "--metadata-only", "--out", args.out, "--parts", str(args.parts)]
        + ["--threads", str(args.threads)]
        + config_args(args)
        + (["--overwrite"] if args.overwrite else [])
    )
    try:
        prepare = subprocess.run(cmd, capture_output=True, text=True)
    except OSError as e:
        print(f"error: cannot run --gen {gen}: {e}", file=sys.stderr)
        return 2
    if prepare.returncode != 0:
        sys.stderr.write(prepare.stderr or f"error: {' '.join(cmd)} exited {prepare.returncode} without a message (is --gen {gen} usage-gen's gen?)\n")
        return 2

    spark = SparkSession.builder.appName(f"usage-gen: {args.parts} parts").getOrCreate()
    sc = spark.sparkContext
    sc.addFile(gen)
    settings = {
        "gen_name": os.path.basename(gen),
        "args": args,
    }
    started = time.time()
    results = (
        spark.range(1, args.parts + 1, 1, numPartitions=args.parts)
        .mapInArrow(part_runner(settings), RESULT_SCHEMA)
        .collect()
    )
    generate_seconds = time.time() - started
    results = sorted((r.asDict() for r in results), key=lambda r: r["part"])
    for r in results:
        print(
            f"part {r['part']:>5} of {args.parts}: {r['status']:>7} on {r['host']} (attempt {r['attempt']}), "
            f"{r['joint_rows']} joint rows in {r['seconds']:.2f} s, gen peak {r['gen_peak_rss_mb']:.0f} MB"
        )
    verify = subprocess.run(
        [gen, "verify", args.out] + (["--reread"] if args.reread else []), capture_output=True, text=True
    )
    sys.stdout.write(verify.stdout)
    if verify.returncode != 0:
        sys.stderr.write(verify.stderr)
        print(f"error: gen verify {args.out} failed; the tables were not registered", file=sys.stderr)
        spark.stop()
        return 1
    dataset = register(spark, args.out)
    names = dataset["tables"] + (["anomaly_labels"] if spark.catalog.tableExists("anomaly_labels") else [])
    print(f"registered in Spark SQL: {', '.join(names)} and the view joint_info")
    registered_seconds = time.time() - started
    # A query over joint_info joins and aggregates every row: only on request.
    for query in args.sql:
        spark.sql(query).show(truncate=False)
    seconds = time.time() - started
    joint_rows = sum(r["joint_rows"] for r in results)
    print(
        f"generated {joint_rows} joint rows in {args.parts} parts: {generate_seconds:.1f} s of tasks, "
        f"{registered_seconds:.1f} s with verify and registration, {seconds:.1f} s in all"
    )
    spark.stop()
    if args.summary:
        summary = {
            "parts": results,
            "generate_seconds": generate_seconds,
            "registered_seconds": registered_seconds,
            "seconds": seconds,
            "joint_rows": joint_rows,
        }
        try:
            write_summary(args.summary, summary, args.force)
        except FileExistsError:
            print(f"error: --summary {args.summary} was created by another process meanwhile; not replaced "
                  "(pass --force to replace it)", file=sys.stderr)
            return 2
        except OSError as e:
            print(f"error: cannot write --summary {args.summary}: {e}", file=sys.stderr)
            return 2
        print(f"wrote {args.summary}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

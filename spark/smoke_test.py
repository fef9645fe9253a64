#!/usr/bin/env python3
"""The Spark smoke test (`spark/smoke-test` runs it; `.ci/run` calls that): a dataset generated in
4 parts by spark/gen_spark.py through spark-submit on local[2,2], with the first attempt of one
task killed mid-way and retried by Spark, compared with a single `gen generate` run (exceptAll
both ways on every table) and its joint_info view in Spark SQL compared with gen's own Parquet
export of the view from `gen load --from-parts`; then the driver's refusals of a bad --summary
(checked before any Spark work, so without another spark-submit). Prints every check, then
`N passed, N failed`; exits 1 on any failure and never skips.

Usage: smoke_test.py --gen PATH [--keep]
"""

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gen_spark  # noqa: E402

# configs/scale.yaml (which `extends:` the default, a relative path only the driver can resolve)
# at 1,000 accounts: 16 blocks, about 0.9 M joint rows.
CONFIG = os.path.join(HERE, "..", "configs", "scale.yaml")
# A classification split so that Spark SQL's joint_info rounds cost_qc and cost_check_list as
# DuckDB does (round(x, 2) differs between the two engines unless the view takes care).
SETS = [
    "--set", "accounts.n_accounts=1000",
    "--set", "services.classifications_split.qc=0.3",
    "--set", "services.classifications_split.check_list=0.45",
]
PARTS = 4
FAIL_PART = 2

passed, failed = [], []


def check(ok, what):
    (passed if ok else failed).append(what)
    print(f"{'ok' if ok else 'FAILED'}: {what}", flush=True)
    return ok


def run(cmd, **kw):
    done = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"FAILED: {' '.join(cmd)} exited {done.returncode}")
    return done.stdout


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--gen", required=True)
    p.add_argument("--keep", action="store_true", help="keep the work directory")
    args = p.parse_args()
    gen = os.path.abspath(args.gen)
    work = tempfile.mkdtemp(prefix="usage-gen-spark-")
    single, four = os.path.join(work, "single"), os.path.join(work, "four")

    # The single run and gen's own joint view of it.
    run([gen, "generate", "--out", single, "--config", CONFIG] + SETS)
    run([gen, "verify", single])
    db = os.path.join(work, "single.duckdb")
    run([gen, "load", "--from-parts", single, "--db", db])
    joint_parquet = os.path.join(work, "joint_info.parquet")
    run([gen, "export", "--db", db, "--out", joint_parquet])

    # The Spark job: 4 tasks on 2 cores, each failure retried once (local[2,2]).
    spark_submit = os.path.join(os.path.dirname(sys.executable), "spark-submit")
    summary = os.path.join(work, "summary.json")
    cmd = [
        spark_submit, "--master", "local[2,2]", "--conf", "spark.ui.enabled=false",
        "--conf", "spark.ui.showConsoleProgress=false",
        os.path.join(HERE, "gen_spark.py"), "--gen", gen, "--out", four, "--parts", str(PARTS),
        "--config", CONFIG, *SETS, "--fail-once", str(FAIL_PART), "--reread", "--summary", summary,
        "--sql", "SELECT count(*) AS joint_rows, round(sum(total_cost), 2) AS total_cost FROM joint_info",
    ]
    started = time.time()
    job = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.time() - started
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(job.stdout, end="")
    if not check(job.returncode == 0, f"spark-submit gen_spark.py --parts {PARTS} exits 0"):
        sys.stderr.write(job.stderr[-5000:])
        return finish(work, args.keep)
    print(f"spark job: {wall:.1f} s wall, largest process {peak_mb:.0f} MB peak RSS", flush=True)

    with open(summary) as f:
        s = json.load(f)
    attempts = {r["part"]: r["attempt"] for r in s["parts"]}
    statuses = {r["part"]: r["status"] for r in s["parts"]}
    check(sorted(attempts) == list(range(1, PARTS + 1)), f"every part 1..{PARTS} reported")
    check(
        attempts.get(FAIL_PART) == 1 and statuses.get(FAIL_PART) == "written",
        f"part {FAIL_PART}'s first attempt, killed while writing, left nothing and was retried "
        f"(attempt {attempts.get(FAIL_PART)}: {statuses.get(FAIL_PART)})",
    )
    check(all(a == 0 for k, a in attempts.items() if k != FAIL_PART), "the other parts ran once")
    check("verified" in job.stdout and os.path.exists(os.path.join(four, "_SUCCESS")), "gen verify --reread passed and wrote _SUCCESS")
    check(
        "registered in Spark SQL: accounts, chats" in job.stdout and "|joint_rows|total_cost|" in job.stdout.replace(" ", ""),
        "the driver registered the tables and joint_info and ran the --sql query on it",
    )
    hidden = [os.path.join(d, f) for d, _, fs in os.walk(work) for f in fs if f.startswith(".")]
    check(not hidden, f"no temporary files left behind, the summary's included ({hidden[:3]})")
    check_summary_refusals(gen, four, summary)

    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master("local[2]").appName("usage-gen smoke test")
        .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false").getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    with open(os.path.join(four, "_metadata", "dataset.json")) as f:
        tables = json.load(f)["tables"]
    check(len(tables) == 7, f"the dataset lists its 7 tables ({', '.join(tables)})")
    for table in tables:
        a = spark.read.parquet(os.path.join(single, table))
        b = spark.read.parquet(os.path.join(four, table))
        same = (
            a.dtypes == b.dtypes
            and a.count() == b.count()
            and a.exceptAll(b).count() == 0
            and b.exceptAll(a).count() == 0
        )
        check(same, f"{table}: {b.count()} rows, the 4 parts equal the single run (exceptAll both ways)")

    gen_spark.register(spark, four)
    spark_joint = spark.sql("SELECT * FROM joint_info")
    duck_joint = spark.read.parquet(joint_parquet)
    check(spark_joint.columns == duck_joint.columns, "joint_info in Spark SQL has DuckDB's 21 columns in order")
    check(spark_joint.dtypes == duck_joint.dtypes, f"joint_info's types match ({dict(spark_joint.dtypes)['chat_id']} chat_id, …)")
    n = duck_joint.count()
    check(
        spark_joint.count() == n
        and spark_joint.exceptAll(duck_joint).count() == 0
        and duck_joint.exceptAll(spark_joint).count() == 0,
        f"joint_info in Spark SQL equals gen's export of the view ({n} rows, exceptAll both ways)",
    )
    total = spark.sql("SELECT round(sum(total_cost), 2) FROM joint_info").first()[0]
    duck_total = float(run([gen, "sql", "--db", db, "--format", "csv", "SELECT round(sum(total_cost), 2) AS total FROM joint_info"]).split()[-1])
    check(abs(total - duck_total) < 0.005, f"Spark SQL's total cost {total} is DuckDB's {duck_total}")
    spark.stop()
    return finish(work, args.keep)


def check_summary_refusals(gen, four, summary):
    """A --summary that is a directory, inside --out, or an existing file without --force is
    refused before any Spark work (plain Python runs the driver: it exits before importing
    PySpark), and the dataset still verifies."""
    dataset = os.path.join(four, "_metadata", "dataset.json")
    with open(dataset, "rb") as f:
        before = f.read()
    base = [sys.executable, os.path.join(HERE, "gen_spark.py"), "--gen", gen, "--out", four,
            "--parts", str(PARTS), "--config", CONFIG, *SETS]
    for target, says in [
        (os.path.dirname(summary), "is a directory"),
        (dataset, "is inside --out"),
        (summary, "already exists; pass --force"),
    ]:
        done = subprocess.run(base + ["--summary", target], capture_output=True, text=True)
        check(
            done.returncode == 2 and says in done.stderr and "Traceback" not in done.stderr,
            f"--summary {os.path.basename(target)}: refused up front, exit 2, '{says}' (got {done.returncode})",
        )
    with open(dataset, "rb") as f:
        check(f.read() == before, "dataset.json is untouched")
    verify = subprocess.run([gen, "verify", four], capture_output=True, text=True)
    check(verify.returncode == 0, f"the dataset still verifies (exit {verify.returncode})")


def finish(work, keep):
    if keep:
        print(f"kept {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    print(f"{len(passed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

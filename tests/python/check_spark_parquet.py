"""Reads Parquet exports with Spark (local[2]) and compares every row, in the file's order, with the
CSV export of the same relation: the column names, the types Spark infers (bigint ids, dates,
doubles, ints, strings) and each value (NULL as the empty CSV field). Prints one summary line;
exits 1 with the reason on any failure.

Usage: check_spark_parquet.py EXPORT.parquet EXPORT.csv [EXPORT.parquet EXPORT.csv]…
"""

import csv
import sys

from pyspark.sql import SparkSession


def fail(msg):
    print(f"FAIL: {msg}")
    sys.exit(1)


def main():
    pairs = list(zip(sys.argv[1::2], sys.argv[2::2]))
    spark = (SparkSession.builder.master("local[2]").appName("usage-gen parquet check")
             .config("spark.ui.enabled", "false").getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    checked = []
    for parquet, csv_path in pairs:
        df = spark.read.parquet(parquet)
        types = dict(df.dtypes)
        for name, want in [("account_id", "bigint"), ("date", "date"), ("chat_id", None), ("cost", "double"),
                           ("cost_dialog", "double"), ("n_tasks", "int"), ("chat_type", "string")]:
            if name in types and want and types[name] != want:
                fail(f"{parquet}: Spark reads {name} as {types[name]}, not {want}")
        rows = df.collect()
        with open(csv_path, newline="") as f:
            table = list(csv.reader(f))
        header, body = table[0], table[1:]
        if df.columns != header:
            fail(f"{parquet}: columns {df.columns} against the CSV's {header}")
        if len(rows) != len(body):
            fail(f"{parquet}: {len(rows)} rows against the CSV's {len(body)}")
        for i, (got, want) in enumerate(zip(rows, body)):
            for name, v, w in zip(header, got, want):
                if v is None:
                    same = w == ""
                elif isinstance(v, float):
                    same = v == float(w)
                else:
                    same = str(v) == w
                if not same:
                    fail(f"{parquet}: row {i}, {name}: Spark reads {v!r}, the CSV has {w!r}")
        checked.append(f"{len(rows)} rows of {parquet.rsplit('/', 1)[-1]}")
    print(f"ok: Spark {spark.version} read {', '.join(checked)} as the CSV has them")
    spark.stop()


main()

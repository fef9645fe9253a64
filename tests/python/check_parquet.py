"""Reads a Parquet export with pyarrow, pandas and the DuckDB Python client (clients that are not
gen's DuckDB) and compares every row, in order, with the CSV export of the same relation. Checks
the column types, zstd compression and the row groups of --row-group-size rows. Prints one summary
line; exits 1 with the reason on any failure.

Usage: check_parquet.py EXPORT.parquet EXPORT.csv ROW_GROUP_SIZE
"""

import sys

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq


def fail(msg):
    print(f"FAIL: {msg}")
    sys.exit(1)


def main():
    parquet, csv, group = sys.argv[1], sys.argv[2], int(sys.argv[3])
    meta = pq.ParquetFile(parquet).metadata
    sizes = [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]
    if not sizes or any(s != group for s in sizes[:-1]) or not 0 < sizes[-1] <= group:
        fail(f"row groups of {sizes}, not of {group} rows")
    codecs = {meta.row_group(i).column(c).compression for i in range(meta.num_row_groups) for c in range(meta.num_columns)}
    if codecs != {"ZSTD"}:
        fail(f"compression {codecs}")

    table = pq.read_table(parquet)
    want_types = {
        "account_id": pa.int64(), "chat_id": pa.string(), "chat_type": pa.string(), "date": pa.date32(),
        "cost_dialog": pa.float64(), "total_cost": pa.float64(), "has_tasks": pa.int32(), "n_tasks": pa.int32(),
    }
    for name, typ in want_types.items():
        if name in table.column_names and table.schema.field(name).type != typ:
            fail(f"{name} is {table.schema.field(name).type}, not {typ}")

    # The CSV as the original's pipeline reads it: chat ids as text (their leading zeros).
    want = pd.read_csv(csv, dtype={"chat_id": str, "chat_type": str}, keep_default_na=False, na_values=[""], low_memory=False)
    got = table.to_pandas()
    via_pandas = pd.read_parquet(parquet)
    via_duckdb = duckdb.connect().execute(f"SELECT * FROM read_parquet('{parquet}')").df()
    if list(got.columns) != list(want.columns):
        fail(f"columns {list(got.columns)} against the CSV's {list(want.columns)}")
    for name, frame in [("pyarrow", got), ("pandas", via_pandas), ("duckdb", via_duckdb)]:
        if len(frame) != len(want):
            fail(f"{name}: {len(frame)} rows against the CSV's {len(want)}")
        for col in want.columns:
            a, b = frame[col], want[col]
            if col == "date":
                a, b = pd.to_datetime(a).dt.strftime("%Y-%m-%d"), b.astype(str)
            elif a.dtype == object or b.dtype == object:
                a, b = a.astype(object).where(a.notna(), None), b.astype(object).where(b.notna(), None)
            if not (a.reset_index(drop=True).equals(b.reset_index(drop=True))
                    or (a.astype(str).values == b.astype(str).values).all()):
                bad = (a.astype(str).values != b.astype(str).values).nonzero()[0][:3]
                fail(f"{name}: column {col} differs from the CSV at rows {list(bad)}")
    print(f"ok: {len(want)} rows in {len(sizes)} row groups read alike by pyarrow {pa.__version__}, "
          f"pandas {pd.__version__} and duckdb {duckdb.__version__}")


main()

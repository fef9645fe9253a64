"""Reads a joint_info CSV export the way the original project's analytics pipeline does
(src/cost_agent_mvp/data/schema.py: validate_columns + coerce_types over its joint schema), then
checks every column's type and every row's arithmetic. Prints one summary line; exits 1 with the
reason on any failure.

Usage: check_joint_csv.py JOINT.csv EXPECTED_COLUMNS.csv CHAT_ID_DIGITS
"""

import sys

import pandas as pd

REQUIRED = [
    "account_id", "chat_id", "chat_type", "date", "cost_dialog", "cost_task", "total_cost_tasks",
    "cost_classification", "cost_qc", "cost_check_list", "total_cost_classifications",
    "cost_amocrm_call", "total_cost", "has_tasks", "has_classifications", "has_amocrm_call",
    "num_services", "has_both",
]
STRINGS = ["chat_id", "chat_type"]
FLOATS = [
    "cost_dialog", "cost_task", "total_cost_tasks", "cost_classification", "cost_qc",
    "cost_check_list", "total_cost_classifications", "cost_amocrm_call", "total_cost",
]
INTS = [
    "account_id", "has_tasks", "has_classifications", "has_amocrm_call", "num_services", "has_both",
    "n_tasks", "n_classifications", "n_amocrm_calls",
]


def fail(msg):
    print(f"FAIL: {msg}")
    sys.exit(1)


def main():
    path, columns_path, digits = sys.argv[1], sys.argv[2], int(sys.argv[3])
    expected = open(columns_path).read().strip().split(",")
    df = pd.read_csv(path, dtype={"chat_id": str, "chat_type": str})
    if list(df.columns) != expected:
        fail(f"columns {list(df.columns)} != {expected}")
    missing = [c for c in REQUIRED if c not in df.columns]
    if missing:
        fail(f"CSV is missing required columns: {missing}")
    # coerce_types: bad non-null values fail fast.
    for c in STRINGS:
        df[c] = df[c].astype("string")
    for c in FLOATS:
        df[c] = pd.to_numeric(df[c], errors="raise").astype(float)
    for c in INTS:
        df[c] = pd.to_numeric(df[c], errors="raise")
        if not pd.api.types.is_integer_dtype(df[c]):
            fail(f"{c} is not an integer column: {df[c].dtype}")
    df["date"] = pd.to_datetime(df["date"], format="%Y-%m-%d", errors="raise")
    if df.isna().any().any():
        fail(f"NULLs in {list(df.columns[df.isna().any()])}")
    if not (df["chat_id"].str.len() == digits).all() or not df["chat_id"].str.isdigit().all():
        fail("chat_id is not a zero-padded numeric string of the configured width")
    for c in ["has_tasks", "has_classifications", "has_amocrm_call", "has_both"]:
        if not df[c].isin([0, 1]).all():
            fail(f"{c} is not 0/1")
    close = lambda a, b: ((a - b).abs() < 1e-6).all()
    if not close(df["total_cost_tasks"], df["cost_task"]):
        fail("total_cost_tasks != cost_task")
    if not close(df["total_cost_classifications"], df["cost_classification"] + df["cost_qc"] + df["cost_check_list"]):
        fail("total_cost_classifications != its components")
    parts = df["cost_dialog"] + df["total_cost_tasks"] + df["total_cost_classifications"] + df["cost_amocrm_call"]
    if not close(df["total_cost"], parts):
        bad = int(((df["total_cost"] - parts).abs() >= 1e-6).sum())
        fail(f"total_cost is not the row's four cost groups on {bad} rows")
    flags = df["has_tasks"] + df["has_classifications"] + df["has_amocrm_call"]
    if not (df["num_services"] == flags).all():
        fail("num_services != the sum of the flags")
    if not (df["has_both"] == (df["num_services"] >= 2).astype(int)).all():
        fail("has_both != (num_services >= 2)")
    for flag, cost, events in [
        ("has_tasks", "cost_task", "n_tasks"),
        ("has_classifications", "total_cost_classifications", "n_classifications"),
        ("has_amocrm_call", "cost_amocrm_call", "n_amocrm_calls"),
    ]:
        if not ((df[flag] == 1) == (df[cost] > 0)).all():
            fail(f"{flag} disagrees with {cost}")
        if not ((df[flag] == 1) | (df[events] == 0)).all():
            fail(f"{events} without {flag}")
    if df.duplicated(["chat_id", "date"]).any():
        fail("more than one row per chat-day")
    paid = 1 - df["cost_dialog"].sum() / df["total_cost"].sum()
    print(f"ok: {len(df)} rows, {df['account_id'].nunique()} accounts, paid share of cost {paid:.3f}")


if __name__ == "__main__":
    main()

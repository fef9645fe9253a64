"""An independent reader of gen's anomaly labels, using only the DuckDB Python client.

usage: check_labels.py CONTAMINATED.duckdb CLEAN.duckdb

For every label it finds the joint_info row of its (account, chat, day) and checks that the row
shows the label's injected values: a present service-day label's cost and events in the service's
columns, a removed one's service absent from the row (one_chat mode: one row per service and
chat-day), an added chat-day's row present. Then it checks that joint_info_clean of the
contaminated database equals joint_info of the run without anomalies, row for row, and that every
joint row without a label is identical in both. Prints "ok: ..." or raises.
"""
import sys

import duckdb

COST = {"dialog": "cost_dialog", "tasks": "cost_task",
        "classifications": "total_cost_classifications", "amocrm_call": "cost_amocrm_call"}
EVENTS = {"tasks": "n_tasks", "classifications": "n_classifications", "amocrm_call": "n_amocrm_calls"}
HAS = {"tasks": "has_tasks", "classifications": "has_classifications", "amocrm_call": "has_amocrm_call"}


def main(contaminated, clean):
    con = duckdb.connect(contaminated, read_only=True)
    digits = con.execute("SELECT chat_id_digits FROM dataset").fetchone()[0]
    labels = con.execute(
        "SELECT injection, kind, unit, account_id, date, service, chat_id, present, events, cost "
        "FROM anomaly_labels").fetchall()
    assert labels, "no labels"
    kinds = {r[1] for r in labels}
    rows = {}
    for r in con.execute("SELECT * FROM joint_info").fetchall():
        rows[(r[0], r[1], r[3])] = r
    cols = [d[0] for d in con.execute("SELECT * FROM joint_info LIMIT 0").description]
    at = {c: i for i, c in enumerate(cols)}
    checked = 0
    for injection, kind, unit, account, date, service, chat, present, events, cost in labels:
        key = (account, str(chat).zfill(digits), date)
        row = rows.get(key)
        assert row is not None, f"{injection}: no joint row for {key}"
        if unit == "service_day":
            if present:
                assert abs(row[at[COST[service]]] - cost) < 0.005, (injection, key, service, row, cost)
                if service in EVENTS:
                    assert row[at[EVENTS[service]]] == events, (injection, key, service, row, events)
            else:
                assert row[at[COST[service]]] == 0, (injection, key, service, row)
                if service in HAS:
                    assert row[at[HAS[service]]] == 0, (injection, key, service, row)
        checked += 1
    con.execute(f"ATTACH '{clean}' AS plain (READ_ONLY)")
    for a, b in [("joint_info_clean", "plain.joint_info"), ("plain.joint_info", "joint_info_clean")]:
        n = con.execute(f"SELECT count(*) FROM (SELECT * FROM {a} EXCEPT ALL SELECT * FROM {b})").fetchone()[0]
        assert n == 0, f"{n} rows of {a} not in {b}"
    unlabelled = (
        "SELECT * EXCLUDE (is_anomaly, anomalies, anomaly_kinds, known_events) FROM joint_info_labeled "
        "WHERE anomalies IS NULL AND known_events IS NULL")
    n = con.execute(f"SELECT count(*) FROM ({unlabelled} EXCEPT ALL SELECT * FROM plain.joint_info)").fetchone()[0]
    assert n == 0, f"{n} unlabelled joint rows differ from the clean run"
    total = con.execute("SELECT count(*) FROM joint_info_clean").fetchone()[0]
    print(f"ok: {checked} labels of {len(kinds)} kinds found in joint_info; joint_info_clean = the clean run's {total} rows")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

"""An independent reimplementation of `gen score`'s metrics, from the README's definitions only.

usage: check_scores.py DB PREDICTIONS.csv GRAIN GRACE_DAYS GEN_SCORE_CSV

Reads the database read-only with the DuckDB Python client (plain table reads, no scoring SQL),
enumerates the units of GRAIN (account_day or account_service_day) in pandas, labels them, builds
the injection instances, and computes every metric for the overall group and each kind /
difficulty / injection_grain group with pandas and numpy: the point metrics, AUC-PR (average
precision over tied score groups) and AUC-ROC (Mann-Whitney from average ranks), the event
metrics (detection, runs, delays, impact, attribution). The flag column is the flag rule, the
score column the ranking. At account_service_day the predictions are also rolled up to
account_day (max score, any flag, the service of the highest-scoring flagged unit) and scored
there too.

Then it compares every computed metric with GEN_SCORE_CSV (`gen score --format csv`: grain,
breakdown, breakdown_value, metric, value; empty = NULL), with a tolerance of 1e-9 (relative or
absolute), NULL only matching NULL. Prints each mismatch and `N metrics compared, M mismatches`;
exits 1 on any mismatch or when fewer than 50 metrics were compared.
"""
import csv
import math
import sys

import duckdb
import numpy as np
import pandas as pd

SERVICES = ("dialog", "tasks", "classifications", "amocrm_call")
BREAKDOWNS = ("kind", "difficulty", "injection_grain")
EPOCH = np.datetime64("1970-01-01", "D")


def day(values):
    """Dates (datetime.date, Timestamp or ISO text) as int days since 1970-01-01."""
    return ((pd.to_datetime(pd.Series(values)).values.astype("datetime64[D]") - EPOCH)
            .astype(np.int64))


def fetch(con, sql):
    return con.execute(sql).fetchdf()


# --- the dataset ------------------------------------------------------------------------------

def load_dataset(db):
    con = duckdb.connect(db, read_only=True)
    d = {}
    d["calendar"] = day(fetch(con, "SELECT date FROM calendar")["date"])
    ad = fetch(con, "SELECT account_id, date FROM account_days")
    ad["date"] = day(ad["date"])
    d["account_days"] = ad
    subs = fetch(con, "SELECT account_id, service, adopted_on, ended_on FROM subscriptions")
    subs["adopted_on"] = day(subs["adopted_on"])
    # ended_on: the first day no longer subscribed; NULL = subscribed to the end of the range.
    ended = subs["ended_on"]
    subs["ended_on"] = np.where(ended.isna(), d["calendar"].max() + 1,
                                day(ended.fillna(pd.Timestamp("1970-01-01"))))
    d["subscriptions"] = subs
    sd = fetch(con, "SELECT DISTINCT account_id, date, service FROM service_days")
    sd["date"] = day(sd["date"])
    d["service_days"] = sd
    lab = fetch(con, "SELECT injection, is_anomaly, unit, account_id, date, service, chat_id FROM anomaly_labels")
    lab["date"] = day(lab["date"])
    d["labels"] = lab
    inj = fetch(con, "SELECT injection, kind, is_anomaly, grain, account_id, service, start_date, end_date, "
                     "cost_delta, difficulty FROM anomaly_injections")
    inj["start_date"] = day(inj["start_date"])
    inj["end_date"] = day(inj["end_date"])
    d["injections"] = inj
    cu = fetch(con, "SELECT DISTINCT clean_until FROM anomaly_specs WHERE clean_until IS NOT NULL")["clean_until"]
    assert len(cu) <= 1, f"several clean_until: {list(cu)}"
    d["clean_until"] = int(day(cu)[0]) if len(cu) else None
    con.close()
    return d


def universe(d, grain):
    """The units of `grain` after the training period: a DataFrame of their keys."""
    if grain == "account_day":
        u = d["account_days"][["account_id", "date"]].drop_duplicates()
    elif grain == "account_service_day":
        parts = []
        dialog = d["account_days"][["account_id", "date"]].copy()
        dialog["service"] = "dialog"
        parts.append(dialog)
        cal_lo, cal_hi = d["calendar"].min(), d["calendar"].max()
        rows = []
        for r in d["subscriptions"].itertuples(index=False):
            lo, hi = max(r.adopted_on, cal_lo), min(r.ended_on - 1, cal_hi)
            if hi >= lo:
                days = np.arange(lo, hi + 1)
                rows.append(pd.DataFrame({"account_id": r.account_id, "date": days, "service": r.service}))
        parts.extend(rows)
        parts.append(d["service_days"][["account_id", "date", "service"]])
        lab = d["labels"][["account_id", "date", "service"]].copy()
        lab["service"] = lab["service"].fillna("dialog")  # a chat_day label counts for dialog
        parts.append(lab)
        u = pd.concat(parts, ignore_index=True).drop_duplicates()
    else:
        raise SystemExit(f"grain {grain} is not supported by this checker")
    if d["clean_until"] is not None:
        u = u[u["date"] > d["clean_until"]]
    return u.sort_values(list(u.columns)).reset_index(drop=True)


def label_keys(d, grain):
    """The anomalous labels, keyed at `grain`, with the instance (injection, account) they belong to."""
    lab = d["labels"][d["labels"]["is_anomaly"]].copy()
    lab["service"] = lab["service"].fillna("dialog")
    keys = ["account_id", "date"] + (["service"] if grain == "account_service_day" else [])
    return lab[keys + ["injection"]].drop_duplicates(), keys


# --- predictions --------------------------------------------------------------------------------

def read_predictions(path, grain):
    p = pd.read_csv(path, dtype=str, keep_default_na=False)
    keys = ["account_id", "date"] + (["service"] if grain == "account_service_day" else [])
    for k in keys:
        assert k in p.columns, f"{path}: no {k} column"
    assert "flag" in p.columns, f"{path}: this checker needs a flag column"
    out = pd.DataFrame({"account_id": p["account_id"].astype(np.int64), "date": day(p["date"])})
    if grain == "account_service_day":
        out["service"] = p["service"]
    flag = p["flag"].str.strip().str.lower()
    assert flag.isin(["0", "1", "true", "false"]).all(), "a flag that is not 0/1"
    out["flag"] = flag.isin(["1", "true"])
    # A flag without a score column ranks by the flag.
    out["score"] = p["score"].astype(float) if "score" in p.columns else out["flag"].astype(float)
    assert np.isfinite(out["score"]).all(), "a non-finite score"
    if grain == "account_service_day":
        out["named"] = out["service"]
    elif "service" in p.columns:
        out["named"] = p["service"].replace("", None)
    else:
        out["named"] = None
    assert not out.duplicated(keys).any(), "a unit twice"
    return out, keys


def attach(units, keys, preds):
    """Units with their prediction: missing ones unflagged and ranked below every predicted unit."""
    m = units.merge(preds, on=keys, how="left", indicator=True)
    m["predicted"] = m["_merge"] == "both"
    m = m.drop(columns="_merge")
    m["flag"] = m["flag"].fillna(False).astype(bool)
    m["score"] = m["score"].fillna(-np.inf).astype(float)
    m["named"] = m["named"].where(m["predicted"], None)
    return m


def check_predictions_are_units(preds, keys, all_units):
    """Every prediction must be a unit (gen refuses others); training-period ones are ignored."""
    allk = all_units.merge(preds[keys], on=keys, how="right", indicator=True)
    stray = allk[allk["_merge"] == "right_only"]
    return len(stray)


def rollup_to_account_day(fine, d):
    """account_service_day units (with predictions) rolled up to account_day units."""
    ad = universe(d, "account_day")
    f = fine.copy()
    pred = f[f["predicted"]]
    score = pred.groupby(["account_id", "date"])["score"].max().rename("score")
    flag = f.groupby(["account_id", "date"])["flag"].any().rename("flag")
    # The service of the highest-scoring flagged unit (a tie on score: by service name).
    fl = f[f["flag"]].sort_values(["account_id", "date", "score", "named"], ascending=[True, True, False, True])
    named = fl.groupby(["account_id", "date"])["named"].first().rename("named")
    r = ad.merge(score.reset_index(), on=["account_id", "date"], how="left")
    r = r.merge(flag.reset_index(), on=["account_id", "date"], how="left")
    r = r.merge(named.reset_index(), on=["account_id", "date"], how="left")
    r["predicted"] = r["score"].notna()
    r["score"] = r["score"].fillna(-np.inf)
    r["flag"] = r["flag"].fillna(False).astype(bool)
    r["named"] = r["named"].where(r["named"].notna(), None)
    orphans = f.merge(ad, on=["account_id", "date"], how="left", indicator=True)
    n_orphans = int((orphans["_merge"] == "left_only").sum())
    return r, n_orphans


# --- metrics ------------------------------------------------------------------------------------

def average_precision(scores, pos):
    """Σ over distinct scores s held by a positive: (positives at s / P) × precision(score ≥ s)."""
    P = pos.sum()
    if P == 0:
        return None
    # Distinct scores, highest first; counts per score.
    neg_s = -scores
    uniq, inv = np.unique(neg_s, return_inverse=True)
    tot = np.bincount(inv, minlength=len(uniq)).astype(np.int64)
    pp = np.bincount(inv, weights=pos.astype(np.int64), minlength=len(uniq)).astype(np.int64)
    cum_tot = np.cumsum(tot)
    cum_pos = np.cumsum(pp)
    held = pp > 0
    return float(np.sum((pp[held] / P) * (cum_pos[held] / cum_tot[held])))


def mann_whitney(scores, pos):
    """P(a positive scores above a negative) + ½ P(tie), from average ranks."""
    P, N = int(pos.sum()), int((~pos).sum())
    if P == 0 or N == 0:
        return None
    ranks = pd.Series(scores).rank(method="average").to_numpy()
    u = ranks[pos].sum() - P * (P + 1) / 2.0
    return float(u / (P * N))


def quantile_cont(values, q):
    return float(np.quantile(np.asarray(values, dtype=float), q, method="linear"))


def compute(units, lab, keys, injections, grace, grain, refs=True):
    """All metrics per group for one grain. `units` has keys, score, flag, named, predicted.
    With `refs`, also the references: flag-all by scoring every unit flagged, random from the
    expected counts (a run's first unit inside the windows, an instance's n units)."""
    units = units.reset_index(drop=True).copy()
    units["uid"] = np.arange(len(units))
    # Positive units and the instances (injection, account) that labelled them.
    lu = lab.merge(units[keys + ["uid"]], on=keys, how="inner")
    inst = injections[injections["is_anomaly"]].copy()
    inst = inst.merge(lu[["injection", "account_id"]].drop_duplicates(), on=["injection", "account_id"], how="inner")
    inst = inst.reset_index(drop=True)
    inst["iid"] = np.arange(len(inst))
    inst["win_end"] = inst["end_date"] + grace
    inst["impact"] = inst["cost_delta"].abs()
    pairs = lu.merge(inst[["injection", "account_id", "iid"]], on=["injection", "account_id"])[["uid", "iid"]].drop_duplicates()
    positive = np.zeros(len(units), dtype=bool)
    positive[pairs["uid"].to_numpy()] = True
    negative = ~positive
    score = units["score"].to_numpy()
    flag = units["flag"].to_numpy()

    # Per instance: detection, delay, attribution (flagged units of the entity in the window).
    flagged = units[units["flag"]]
    by_acct = {a: g for a, g in flagged.groupby("account_id")}
    det, delay, attr = [], [], []
    for r in inst.itertuples(index=False):
        g = by_acct.get(r.account_id)
        w = g[(g["date"] >= r.start_date) & (g["date"] <= r.win_end)] if g is not None else None
        if w is None or len(w) == 0:
            det.append(False)
            delay.append(np.nan)
            attr.append(np.nan)
            continue
        det.append(True)
        delay.append(float(w["date"].min() - r.start_date))
        if r.service is None or (isinstance(r.service, float) and math.isnan(r.service)):
            attr.append(np.nan)  # not an injection on one service
            continue
        top = w.assign(_n=w["named"].fillna("")).sort_values(["score", "date", "_n"], ascending=[False, True, True]).iloc[0]
        if top["named"] is None or (isinstance(top["named"], float) and math.isnan(top["named"])):
            attr.append(np.nan)  # the predictions name no service there
        else:
            attr.append(1.0 if top["named"] == r.service else 0.0)
    inst["detected"] = det
    inst["delay"] = delay
    inst["attr"] = attr

    # Runs: maximal sequences of flagged units of one series, no unflagged unit of it between.
    series_keys = ["account_id"] + (["service"] if grain == "account_service_day" else [])
    s = units.sort_values(series_keys + ["date"])
    runs = []  # (account, first date, last date)
    for skey, g in s.groupby(series_keys, sort=False):
        f = g["flag"].to_numpy()
        if not f.any():
            continue
        dates = g["date"].to_numpy()
        acct = skey[0] if isinstance(skey, tuple) else skey
        i, n = 0, len(f)
        while i < n:
            if f[i]:
                j = i
                while j + 1 < n and f[j + 1]:
                    j += 1
                runs.append((acct, dates[i], dates[j]))
                i = j + 1
            else:
                i += 1
    inst_by_acct = {a: g for a, g in inst.groupby("account_id")}
    run_hits = []  # per run: the set of instance ids it overlaps
    for acct, lo, hi in runs:
        g = inst_by_acct.get(acct)
        if g is None:
            run_hits.append(frozenset())
        else:
            hit = g[(g["start_date"] <= hi) & (g["win_end"] >= lo)]["iid"]
            run_hits.append(frozenset(hit.tolist()))
    false_runs = sum(1 for h in run_hits if not h)
    decoys = injections[~injections["is_anomaly"]].copy()
    cu = units["date"].min() - 1
    decoys = decoys[decoys["end_date"] > cu]
    decoys["win_end"] = decoys["end_date"] + grace
    dec_by_acct = {a: g for a, g in decoys.groupby("account_id")}
    known_false = 0
    for (acct, lo, hi), h in zip(runs, run_hits):
        g = dec_by_acct.get(acct)
        if not h and g is not None and ((g["start_date"] <= hi) & (g["win_end"] >= lo)).any():
            known_false += 1

    # Run membership of every unit (-1 when not flagged), for the range-based metrics.
    order = units.sort_values(series_keys + ["date"]).index.to_numpy()
    fo = units.loc[order, "flag"].to_numpy()
    so = units.loc[order, series_keys].astype(str).agg("/".join, axis=1).to_numpy()
    new_series = np.r_[True, so[1:] != so[:-1]]
    prev_flag = np.r_[False, fo[:-1]] & ~new_series
    starts = fo & ~prev_flag
    rid_sorted = np.where(fo, np.cumsum(starts) - 1, -1)
    run_id = np.empty(len(units), dtype=np.int64)
    run_id[order] = rid_sorted
    run_len = np.bincount(run_id[run_id >= 0]) if (run_id >= 0).any() else np.zeros(0)
    runs_with_pos = set(run_id[positive & (run_id >= 0)].tolist())
    range_false = sum(1 for r in range(len(run_len)) if r not in runs_with_pos)
    pr = pairs.assign(rid=run_id[pairs["uid"].to_numpy()])

    groups = [("overall", "all", inst)]
    for b, col in (("kind", "kind"), ("difficulty", "difficulty"), ("injection_grain", "grain"),
                   ("injection", "injection")):
        for v in sorted(inst[col].unique()):
            groups.append((b, v, inst[inst[col] == v]))

    N = int(negative.sum())
    fp = int((flag & negative).sum())
    out = {}
    for b, v, gi in groups:
        ids = set(gi["iid"].tolist())
        gpos = np.zeros(len(units), dtype=bool)
        gpos[pairs[pairs["iid"].isin(ids)]["uid"].to_numpy()] = True
        member = gpos | negative
        P = int(gpos.sum())
        tp = int((flag & gpos).sum())
        m = {}
        m["positives"] = P
        m["negatives"] = N
        m["tp"] = tp
        m["fp"] = fp
        m["precision"] = tp / (tp + fp) if tp + fp > 0 else None
        m["recall"] = tp / P if P > 0 else None
        m["f1"] = 0.0 if tp == 0 else 2 * tp / (2 * tp + fp + (P - tp))
        m["auc_pr"] = average_precision(score[member], gpos[member])
        m["auc_pr_random"] = P / (P + N) if P + N > 0 else None
        m["auc_roc"] = mann_whitney(score[member], gpos[member])
        m["auc_roc_random"] = 0.5
        n_inst = len(gi)
        n_det = int(gi["detected"].sum())
        m["instances"] = n_inst
        m["detected"] = n_det
        m["event_recall"] = n_det / n_inst if n_inst else None
        true_runs = sum(1 for h in run_hits if h & ids)
        m["true_runs"] = true_runs
        m["false_runs"] = false_runs
        m["event_precision"] = true_runs / (true_runs + false_runs) if true_runs + false_runs else None
        p, r = m["precision"], m["event_recall"]
        m["composite_f"] = 0.0 if not p or not r else 2 * p * r / (p + r)
        delays = gi[gi["detected"]]["delay"].to_numpy()
        m["delay_median_days"] = quantile_cont(delays, 0.5) if len(delays) else None
        m["delay_p90_days"] = quantile_cont(delays, 0.9) if len(delays) else None
        tot_imp = gi["impact"].sum()
        m["impact_recall"] = float(gi[gi["detected"]]["impact"].sum() / tot_imp) if tot_imp > 0 else None
        m["false_alarms_per_1000"] = 1000.0 * fp / N if N else None
        a = gi["attr"].dropna()
        m["attribution_accuracy"] = float(a.mean()) if len(a) else None
        m["known_event_false_runs"] = known_false
        gp = pr[pr["iid"].isin(ids)]
        rec = []
        for iid, g in gp.groupby("iid"):
            rid = g["rid"].to_numpy()
            hit = rid[rid >= 0]
            rec.append(len(hit) / len(rid) / max(1, len(set(hit.tolist()))))
        m["range_recall"] = float(np.mean(rec)) if rec else None
        inr = gp[gp["rid"] >= 0]
        total = 0.0
        for rid, g in inr.groupby("rid"):
            total += g["uid"].nunique() / run_len[rid] / g["iid"].nunique()
        den = inr["rid"].nunique() + range_false
        m["range_precision"] = total / den if den else None
        out[(b, v)] = m
    if refs:
        references(units, inst, groups, out, decoys, grain, grace, lab, keys, injections)
        macro(out)
    return out


MACRO = ("auc_pr", "auc_pr_random", "precision", "recall", "f1", "event_recall", "event_recall_flag_all",
         "event_recall_random", "event_precision", "event_precision_flag_all", "event_precision_random",
         "composite_f", "composite_f_flag_all", "composite_f_random", "range_recall", "range_precision",
         "impact_recall", "impact_recall_flag_all")


def macro(out):
    """The unweighted mean over the kind groups, and over the injection groups, of each metric."""
    for over in ("kind", "injection"):
        groups = [m for (b, _), m in out.items() if b == over]
        if not groups:
            continue
        m = {"groups": len(groups)}
        for name in MACRO:
            vals = [g[name] for g in groups if g.get(name) is not None]
            m[name] = float(np.mean(vals)) if vals else None
        out[("macro", over)] = m


def references(units, inst, groups, out, decoys, grain, grace, lab, keys, injections):
    """The flag-all and random references of every group, and the known events' flag rates."""
    everything = units.copy()
    everything["flag"] = True
    fa = compute(everything, lab, keys, injections, grace, grain, refs=False)
    r = float(units["flag"].mean())
    dates_by_acct = {a: np.sort(g["date"].to_numpy()) for a, g in units.groupby("account_id")}

    def n_units(acct, lo, hi):
        d = dates_by_acct.get(acct)
        if d is None:
            return 0
        return int(np.searchsorted(d, hi, side="right") - np.searchsorted(d, lo, side="left"))

    inst = inst.copy()
    inst["n"] = [n_units(a, lo, hi) for a, lo, hi in zip(inst["account_id"], inst["start_date"], inst["win_end"])]
    # Expected runs: a unit starts a run with probability r (1 - r) (r for a series' first), and a
    # unit inside the windows is the first such unit of its run with probability
    # 1 - r^(k + 1), k the units since the previous one inside (1 for the first inside).
    series_keys = ["account_id"] + (["service"] if grain == "account_service_day" else [])
    s = units.sort_values(series_keys + ["date"]).reset_index(drop=True)
    s["pos"] = s.groupby(series_keys, sort=False).cumcount()
    first = (s["pos"] == 0).to_numpy()
    total = float(np.where(first, r, r * (1 - r)).sum())
    win_by_acct = {a: g for a, g in inst.groupby("account_id")}

    def expected_true(ids):
        inside = np.zeros(len(s), dtype=bool)
        for a, g in win_by_acct.items():
            g = g[g["iid"].isin(ids)]
            if len(g) == 0:
                continue
            rows = np.flatnonzero(s["account_id"].to_numpy() == a)
            dd = s["date"].to_numpy()[rows]
            for lo, hi in zip(g["start_date"], g["win_end"]):
                inside[rows[(dd >= lo) & (dd <= hi)]] = True
        e = 0.0
        sub = s[inside]
        for _, g in sub.groupby(series_keys, sort=False):
            pos = g["pos"].to_numpy()
            gaps = np.diff(pos)
            e += r + float(np.sum(r * (1 - np.power(r, gaps))))
        return e

    true_all = expected_true(set(inst["iid"].tolist()))
    false_exp = total - true_all
    for b, v, gi in groups:
        m = out[(b, v)]
        f = fa[(b, v)]
        m["event_recall_flag_all"] = f["event_recall"]
        m["event_precision_flag_all"] = f["event_precision"]
        m["composite_f_flag_all"] = f["composite_f"]
        m["impact_recall_flag_all"] = f["impact_recall"]
        n = inst[inst["iid"].isin(set(gi["iid"].tolist()))]
        pr = 1 - np.power(1 - r, n["n"].to_numpy(dtype=float))
        m["event_recall_random"] = float(pr.mean())
        imp = n["impact"].to_numpy()
        m["impact_recall_random"] = float((imp * pr).sum() / imp.sum()) if imp.sum() > 0 else None
        et = expected_true(set(gi["iid"].tolist()))
        m["event_precision_random"] = et / (et + false_exp) if et + false_exp > 0 else None
        prev = m["positives"] / (m["positives"] + m["negatives"])
        rr = m["event_recall_random"]
        m["composite_f_random"] = 2 * prev * rr / (prev + rr) if r > 0 and prev + rr > 0 else 0.0
        m["flag_rate"] = r
    flagged = units[units["flag"]]
    fl_by_acct = {a: np.sort(g["date"].to_numpy()) for a, g in flagged.groupby("account_id")}
    hits, ns = [], []
    for a, lo, hi in zip(decoys["account_id"], decoys["start_date"], decoys["win_end"]):
        d = fl_by_acct.get(a)
        hits.append(d is not None and bool(((d >= lo) & (d <= hi)).any()))
        ns.append(n_units(a, lo, hi))
    o = out[("overall", "all")]
    o["known_event_targets"] = len(decoys)
    if len(decoys):
        ns = np.asarray(ns, dtype=float)
        o["known_event_flag_rate"] = float(np.mean(hits))
        o["known_event_flag_rate_flag_all"] = float(np.mean(ns > 0))
        o["known_event_flag_rate_random"] = float(np.mean(1 - np.power(1 - r, ns)))
    else:
        o["known_event_flag_rate"] = o["known_event_flag_rate_flag_all"] = o["known_event_flag_rate_random"] = None


# --- comparison ---------------------------------------------------------------------------------

def read_gen(path):
    res = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            v = row["value"]
            res[(row["grain"], row["breakdown"], row["breakdown_value"], row["metric"])] = None if v == "" else float(v)
    return res


def same(a, b):
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)


def main(db, preds_path, grain, grace, gen_csv):
    grace = int(grace)
    d = load_dataset(db)
    units = universe(d, grain)
    preds, keys = read_predictions(preds_path, grain)
    # Every prediction must be a unit of the dataset (training period included).
    cu = d["clean_until"]
    d_all = dict(d, clean_until=None)
    stray = check_predictions_are_units(preds, keys, universe(d_all, grain))
    notes = []
    if stray:
        notes.append(f"{stray} predictions are not units of the dataset by this reading (gen would refuse them)")
    if cu is not None:
        preds = preds[preds["date"] > cu]
    fine = attach(units, keys, preds)
    lab, lkeys = label_keys(d, grain)
    computed = {grain: compute(fine, lab, lkeys, d["injections"], grace, grain)}
    if grain == "account_service_day":
        coarse, orphans = rollup_to_account_day(fine, d)
        if orphans:
            notes.append(f"{orphans} account_service_day units have no account_day unit (left out of the rollup)")
        clab, ckeys = label_keys(d, "account_day")
        computed["account_day"] = compute(coarse, clab, ckeys, d["injections"], grace, "account_day")

    gen = read_gen(gen_csv)
    compared, mismatches = 0, []
    for g, groups in computed.items():
        gen_groups = {(k[1], k[2]) for k in gen if k[0] == g}
        for extra in sorted(gen_groups - set(groups)):
            mismatches.append(f"{g} {extra[0]}={extra[1]}: a group gen reports and this reading does not")
        for (b, v), metrics in groups.items():
            for name, mine in metrics.items():
                key = (g, b, v, name)
                if key not in gen:
                    mismatches.append(f"{g} {b}={v} {name}: missing from gen's output (mine {mine})")
                    continue
                compared += 1
                if not same(mine, gen[key]):
                    mismatches.append(f"{g} {b}={v} {name}: gen {gen[key]!r}, python {mine!r}")
    for n in notes:
        print("note:", n)
    for m in mismatches:
        print("MISMATCH", m)
    print(f"{compared} metrics compared, {len(mismatches)} mismatches")
    if mismatches or compared < 50:
        sys.exit(1)


if __name__ == "__main__":
    if len(sys.argv) != 6:
        sys.exit(__doc__)
    main(*sys.argv[1:])

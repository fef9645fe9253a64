-- Anomaly injection with ground truth: the spec of each injection, its manifest (one row per
-- injection and target), a label for every unit it changed with the clean and injected values,
-- and the views at the grains detectors use. A dataset loaded without an `anomalies:` block has
-- these tables empty, and every view equals its plain counterpart.

-- One row per injection (or known event) as configured.
CREATE TABLE anomaly_specs (
    injection         VARCHAR NOT NULL,   -- its unique name (the original's scenario_id)
    kind              VARCHAR NOT NULL,   -- cost_spike | level_shift | drift | runaway | price_change | outage
                                          -- | duplicate_billing | dialog_spike | pattern_break | volume_spike | cap_spike
    is_anomaly        BOOLEAN NOT NULL,   -- false for a known event (a decoy, labelled normal)
    grain             VARCHAR NOT NULL,   -- account_service_day | account_day | chat_day
    service           VARCHAR,            -- NULL = all services (or none: cap_spike)
    targets           VARCHAR NOT NULL,   -- accounts: N | share: S | account_ids: [...]
    earliest_start    DATE    NOT NULL,
    latest_start      DATE    NOT NULL,
    duration_days     INTEGER,            -- NULL = to the end of the range
    magnitude_low     DOUBLE,
    magnitude_high    DOUBLE,
    seed              UBIGINT NOT NULL,   -- its random streams' key
    description       VARCHAR NOT NULL,
    params            VARCHAR NOT NULL,   -- the entry as written, as JSON
    overlap           VARCHAR NOT NULL,   -- the block's policy: forbid | keep
    clean_until       DATE,               -- the block's training period (no injection up to it)
    original          BOOLEAN NOT NULL,   -- from the original generator's scenario file
    original_seed     UBIGINT,            -- its scenario seed (labels.jsonl's event_id suffix)
    driver_template   VARCHAR,
    account_selection VARCHAR,            -- JSON, as in labels.jsonl
    original_params   VARCHAR,            -- JSON, as in labels.jsonl
    affected_services VARCHAR             -- JSON list, as in labels.jsonl
);

-- The manifest: one row per injection and target account.
CREATE TABLE anomaly_injections (
    injection              VARCHAR NOT NULL,
    kind                   VARCHAR NOT NULL,
    is_anomaly             BOOLEAN NOT NULL,
    grain                  VARCHAR NOT NULL,
    account_id             BIGINT  NOT NULL,
    service                VARCHAR,            -- NULL = all services
    start_date             DATE    NOT NULL,
    end_date               DATE    NOT NULL,   -- inclusive
    magnitude              DOUBLE,             -- the multiplier drawn for this target (NULL: outage, cap_spike)
    params                 VARCHAR NOT NULL,   -- the entry as written, as JSON
    units                  BIGINT  NOT NULL,   -- labels of this target
    account_days           BIGINT  NOT NULL,   -- distinct days among them
    clean_cost             DOUBLE  NOT NULL,   -- over the changed service rows, before
    cost                   DOUBLE  NOT NULL,   --   and after
    cost_delta             DOUBLE  NOT NULL,   -- cost - clean_cost (exact, from the clean twin)
    expected_cost_delta    DOUBLE  NOT NULL,   -- the model's expectation given the clean rows
    expected_cost_delta_sd DOUBLE  NOT NULL,   -- its standard deviation (0 where deterministic)
    baseline_days          INTEGER NOT NULL,   -- clean days before the window (up to 28)
    baseline_sd            DOUBLE,             -- std dev of the affected services' daily clean cost on them
    mean_abs_daily_delta   DOUBLE  NOT NULL,   -- |cost_delta| / days in the window
    snr                    DOUBLE,             -- mean_abs_daily_delta / baseline_sd
    difficulty             VARCHAR NOT NULL,   -- easy (snr >= 3) | medium (>= 1) | hard | invisible | unknown
    description            VARCHAR NOT NULL
);

-- One row per changed unit and injection that touched it: a service_days row (service_day) or a
-- chat_days row (chat_day, added by cap_spike). Removed rows (outage) have present = false;
-- added rows clean_present = false.
CREATE TABLE anomaly_labels (
    injection     VARCHAR NOT NULL,
    kind          VARCHAR NOT NULL,
    is_anomaly    BOOLEAN NOT NULL,
    unit          VARCHAR NOT NULL,   -- service_day | chat_day
    account_id    BIGINT  NOT NULL,
    date          DATE    NOT NULL,
    service       VARCHAR,            -- NULL for chat_day
    chat_id       BIGINT  NOT NULL,
    clean_present BOOLEAN NOT NULL,
    present       BOOLEAN NOT NULL,
    clean_events  INTEGER NOT NULL,
    events        INTEGER NOT NULL,
    clean_cost    DOUBLE  NOT NULL,
    cost          DOUBLE  NOT NULL    -- chat_day: the dialog cost on the added chat
);

-- What the generator made before injecting: all chat_days rows (date and service NULL), and per
-- day and service the service_days rows, events and cost in cents. The check anomaly_clean_twin
-- compares the stored rows, corrected by the labels, with it.
CREATE TABLE anomaly_clean_totals (
    date       DATE,
    service    VARCHAR,
    rows       BIGINT  NOT NULL,
    events     BIGINT  NOT NULL,
    cost_cents BIGINT  NOT NULL
);

-- Planned changes labelled normal (decoys), to measure false positives.
CREATE VIEW known_events AS
SELECT * EXCLUDE (is_anomaly) FROM anomaly_injections WHERE NOT is_anomaly;

-- The clean twin: the tables as they would be without the anomalies.
CREATE VIEW service_days_clean AS
SELECT sd.* FROM main.service_days sd
WHERE NOT EXISTS (
    SELECT 1 FROM main.anomaly_labels l
    WHERE l.unit = 'service_day' AND l.present AND l.account_id = sd.account_id
      AND l.date = sd.date AND l.service = sd.service AND l.chat_id = sd.chat_id)
UNION ALL
SELECT DISTINCT account_id, service, date, chat_id, clean_events, clean_cost
FROM main.anomaly_labels WHERE unit = 'service_day' AND clean_present;

CREATE VIEW chat_days_clean AS
SELECT cd.* FROM main.chat_days cd
WHERE NOT EXISTS (
    SELECT 1 FROM main.anomaly_labels l
    WHERE l.unit = 'chat_day' AND l.account_id = cd.account_id AND l.date = cd.date AND l.chat_id = cd.chat_id);

CREATE VIEW chats_clean AS
SELECT c.* FROM main.chats c
WHERE NOT EXISTS (SELECT 1 FROM main.anomaly_labels l WHERE l.unit = 'chat_day' AND l.chat_id = c.chat_id);

CREATE VIEW chat_spells_clean AS
SELECT * FROM main.chat_spells WHERE origin <> 'injected';

-- The joint table of V4, as a table macro over any chat-days and service-days relation, so that
-- joint_info and joint_info_clean are one definition.
CREATE MACRO joint_rows(cd_name, sd_name) AS TABLE
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
    FROM query_table(sd_name)
    GROUP BY chat_id, date
),
joined AS (
    SELECT
        cd.account_id,
        cd.chat_id,
        c.chat_type,
        cd.date,
        coalesce(u.cost_dialog, 0)::DOUBLE          AS cost_dialog,
        coalesce(u.cost_task, 0)::DOUBLE            AS cost_task,
        coalesce(u.cost_classifications, 0)::DOUBLE AS total_cost_classifications,
        coalesce(u.cost_amocrm_call, 0)::DOUBLE     AS cost_amocrm_call,
        (u.cost_task IS NOT NULL)::INTEGER            AS has_tasks,
        (u.cost_classifications IS NOT NULL)::INTEGER AS has_classifications,
        (u.cost_amocrm_call IS NOT NULL)::INTEGER     AS has_amocrm_call,
        coalesce(u.n_tasks, 0)::INTEGER             AS n_tasks,
        coalesce(u.n_classifications, 0)::INTEGER   AS n_classifications,
        coalesce(u.n_amocrm_calls, 0)::INTEGER      AS n_amocrm_calls
    FROM query_table(cd_name) cd
    JOIN main.chats c USING (chat_id)
    LEFT JOIN usage u ON u.chat_id = cd.chat_id AND u.date = cd.date
),
split AS (
    SELECT j.*, d.chat_id_digits,
           round(j.total_cost_classifications * d.split_qc, 2) AS cost_qc,
           round(round(j.total_cost_classifications * (d.split_qc + d.split_check_list), 2)
                 - round(j.total_cost_classifications * d.split_qc, 2), 2) AS cost_check_list
    FROM joined j CROSS JOIN main.dataset d
)
SELECT
    account_id,
    lpad(chat_id::VARCHAR, chat_id_digits, '0')                                        AS chat_id,
    chat_type,
    date,
    cost_dialog,
    cost_task,
    cost_task                                                                         AS total_cost_tasks,
    round(total_cost_classifications - cost_qc - cost_check_list, 2)                  AS cost_classification,
    cost_qc,
    cost_check_list,
    total_cost_classifications,
    cost_amocrm_call,
    round(cost_dialog + cost_task + total_cost_classifications + cost_amocrm_call, 2) AS total_cost,
    has_tasks,
    has_classifications,
    has_amocrm_call,
    has_tasks + has_classifications + has_amocrm_call                                 AS num_services,
    (has_tasks + has_classifications + has_amocrm_call >= 2)::INTEGER                 AS has_both,
    n_tasks,
    n_classifications,
    n_amocrm_calls
FROM split;

DROP VIEW joint_info;
CREATE VIEW joint_info AS SELECT * FROM joint_rows('main.chat_days', 'main.service_days');
CREATE VIEW joint_info_clean AS SELECT * FROM joint_rows('main.chat_days_clean', 'main.service_days_clean');

-- Labels per joint row (account, chat, day): is_anomaly when an anomaly (not a known event)
-- changed any unit of it.
CREATE VIEW joint_row_labels AS
SELECT account_id,
       lpad(chat_id::VARCHAR, (SELECT chat_id_digits FROM main.dataset), '0') AS chat_id,
       date,
       max(is_anomaly::INTEGER)                                                   AS is_anomaly,
       string_agg(DISTINCT injection, ',' ORDER BY injection) FILTER (WHERE is_anomaly)     AS anomalies,
       string_agg(DISTINCT kind, ',' ORDER BY kind) FILTER (WHERE is_anomaly)               AS anomaly_kinds,
       string_agg(DISTINCT injection, ',' ORDER BY injection) FILTER (WHERE NOT is_anomaly) AS known_events
FROM main.anomaly_labels
GROUP BY ALL;

-- joint_info's 21 columns in order, then the labels.
CREATE VIEW joint_info_labeled AS
SELECT j.*, coalesce(l.is_anomaly, 0)::INTEGER AS is_anomaly, l.anomalies, l.anomaly_kinds, l.known_events
FROM main.joint_info j
LEFT JOIN main.joint_row_labels l ON l.account_id = j.account_id AND l.chat_id = j.chat_id AND l.date = j.date;

-- One row per account and day it exists.
CREATE VIEW account_day_labels AS
WITH l AS (
    SELECT account_id, date,
           max(is_anomaly::INTEGER) AS is_anomaly,
           string_agg(DISTINCT injection, ',' ORDER BY injection) FILTER (WHERE is_anomaly)     AS anomalies,
           string_agg(DISTINCT kind, ',' ORDER BY kind) FILTER (WHERE is_anomaly)               AS anomaly_kinds,
           string_agg(DISTINCT injection, ',' ORDER BY injection) FILTER (WHERE NOT is_anomaly) AS known_events
    FROM main.anomaly_labels GROUP BY ALL
)
SELECT ad.account_id, ad.date, coalesce(l.is_anomaly, 0)::INTEGER AS is_anomaly, l.anomalies, l.anomaly_kinds, l.known_events
FROM main.account_days ad
LEFT JOIN l USING (account_id, date);

-- One row per day: the platform's cost with and without the anomalies.
CREATE VIEW platform_day_labels AS
WITH cost AS (SELECT date, round(sum(cost), 2) AS cost FROM main.service_days GROUP BY date),
clean AS (SELECT date, round(sum(cost), 2) AS clean_cost FROM main.service_days_clean GROUP BY date),
l AS (
    SELECT date,
           max(is_anomaly::INTEGER) AS is_anomaly,
           string_agg(DISTINCT injection, ',' ORDER BY injection) FILTER (WHERE is_anomaly)     AS anomalies,
           string_agg(DISTINCT injection, ',' ORDER BY injection) FILTER (WHERE NOT is_anomaly) AS known_events
    FROM main.anomaly_labels GROUP BY ALL
)
SELECT c.date, coalesce(l.is_anomaly, 0)::INTEGER AS is_anomaly, coalesce(cost.cost, 0) AS cost,
       coalesce(clean.clean_cost, 0) AS clean_cost, l.anomalies, l.known_events
FROM main.calendar c
LEFT JOIN cost USING (date)
LEFT JOIN clean USING (date)
LEFT JOIN l USING (date);

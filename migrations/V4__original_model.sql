-- The original generator's model (chat pool, daily activity, dialog as a service of its own,
-- per-service retention) and its 21-column joint table. Replaces the tables of V1–V3 that held
-- the first model; a database loaded by an older gen is migrated by `gen load --replace`, inside
-- the load's transaction, so a failed load leaves the old schema and dataset as they were.

DROP VIEW joint_info;
DROP TABLE accounts;
DROP TABLE chats;
DROP TABLE subscriptions;
DROP TABLE chat_days;
DROP TABLE service_days;
DROP TABLE dataset;
DROP TABLE calendar;

-- Bulk tables have no primary keys (they slow appends); uniqueness and references are the
-- validation checks of sql/checks/.

CREATE TABLE accounts (
    account_id     BIGINT  NOT NULL,   -- drawn from [account_id_min, account_id_max]
    signup_date    DATE    NOT NULL,   -- start_date for accounts that exist from the first day
    activity_level DOUBLE  NOT NULL,   -- scales base_q and chat arrivals; 1 unless activity_shape is set
    initial_chats  INTEGER NOT NULL    -- the pool on the first day
);

CREATE TABLE chats (
    chat_id      BIGINT  NOT NULL,     -- unique across the dataset; joint_info shows it zero-padded
    account_id   BIGINT  NOT NULL,
    chat_type    VARCHAR NOT NULL,
    created_date DATE    NOT NULL,
    popularity   DOUBLE  NOT NULL      -- persistent weight ~ LogNormal(0, chat_popularity_lognorm_sigma)
);

-- One row per stay of a chat in its account's pool.
CREATE TABLE chat_spells (
    chat_id    BIGINT  NOT NULL,
    account_id BIGINT  NOT NULL,
    started_on DATE    NOT NULL,
    ended_on   DATE,                   -- first day out of the pool; NULL = still in it at the end
    origin     VARCHAR NOT NULL        -- initial | arrival | reactivation
);

-- One row per account and day it exists: its pool that day.
CREATE TABLE account_days (
    account_id  BIGINT  NOT NULL,
    date        DATE    NOT NULL,
    pool_size   INTEGER NOT NULL,      -- chats in the pool when the day's activity is drawn
    arrivals    INTEGER NOT NULL,      -- new chats that day
    reactivated BOOLEAN NOT NULL       -- an expired chat came back that day
);

-- One row per account and adopted paid service: its schedule.
CREATE TABLE subscriptions (
    account_id    BIGINT  NOT NULL,
    service       VARCHAR NOT NULL,    -- tasks | classifications | amocrm_call
    adopted_on    DATE    NOT NULL,    -- first trial day, and the first usage day
    trial_ends_on DATE    NOT NULL,    -- first day after the trial
    converted     BOOLEAN NOT NULL,    -- became a paid subscription after the trial
    ended_on      DATE,                -- first day no longer subscribed; NULL = subscribed at the end
    end_reason    VARCHAR,             -- trial_not_converted | churned | NULL
    intensity     DOUBLE  NOT NULL     -- scales the expected usage days ~ LogNormal(0, intensity_sigma)
);

-- One row per active chat-day: the rows of joint_info.
CREATE TABLE chat_days (
    chat_id    BIGINT NOT NULL,
    account_id BIGINT NOT NULL,
    date       DATE   NOT NULL
);

-- One row per service used on a chat-day (dialog included).
CREATE TABLE service_days (
    account_id BIGINT  NOT NULL,
    service    VARCHAR NOT NULL,       -- dialog | tasks | classifications | amocrm_call
    date       DATE    NOT NULL,
    chat_id    BIGINT  NOT NULL,
    n_events   INTEGER NOT NULL,       -- 0 for dialog (unless usage pricing draws its events)
    cost       DOUBLE  NOT NULL        -- currency units, whole cents
);

-- One row of provenance for the loaded dataset.
CREATE TABLE dataset (
    seed                  UBIGINT NOT NULL,
    config_yaml           VARCHAR NOT NULL,   -- the effective config (after --seed/--set), canonical YAML
    config_sha256         VARCHAR NOT NULL,
    generator_version     VARCHAR NOT NULL,
    start_date            DATE    NOT NULL,
    end_date              DATE    NOT NULL,
    n_accounts            BIGINT  NOT NULL,
    distribute_mode       VARCHAR NOT NULL,
    chat_id_digits        INTEGER NOT NULL,   -- joint_info pads chat_id to this width
    split_qc              DOUBLE  NOT NULL,   -- shares of a classifications cost shown as cost_qc
    split_check_list      DOUBLE  NOT NULL,   --   and cost_check_list
    rows_accounts         BIGINT  NOT NULL,
    rows_chats            BIGINT  NOT NULL,
    rows_chat_spells      BIGINT  NOT NULL,
    rows_account_days     BIGINT  NOT NULL,
    rows_subscriptions    BIGINT  NOT NULL,
    rows_chat_days        BIGINT  NOT NULL,
    rows_service_days     BIGINT  NOT NULL,
    sha256_accounts       VARCHAR NOT NULL,
    sha256_chats          VARCHAR NOT NULL,
    sha256_chat_spells    VARCHAR NOT NULL,
    sha256_account_days   VARCHAR NOT NULL,
    sha256_subscriptions  VARCHAR NOT NULL,
    sha256_chat_days      VARCHAR NOT NULL,
    sha256_service_days   VARCHAR NOT NULL
);

-- One row per day of the range: its multipliers.
CREATE TABLE calendar (
    date             DATE    NOT NULL,
    isodow           INTEGER NOT NULL,   -- 1 = Monday
    month            INTEGER NOT NULL,   -- 1 = January
    dow_multiplier   DOUBLE  NOT NULL,
    month_multiplier DOUBLE  NOT NULL,
    factor           DOUBLE  NOT NULL    -- dow_multiplier x month_multiplier
);

-- The original project's joint table: one row per active chat-day with exactly its 21 columns in
-- its order. A chat-day's services and dialog are summed from service_days; flags are 0/1
-- integers; num_services counts the paid services on the row and has_both = num_services >= 2;
-- total_cost_tasks = cost_task; total_cost_classifications = cost_classification + cost_qc +
-- cost_check_list; total_cost is the row's four cost groups.
CREATE VIEW joint_info AS
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
    FROM chat_days cd
    JOIN chats c USING (chat_id)
    LEFT JOIN usage u ON u.chat_id = cd.chat_id AND u.date = cd.date
),
split AS (
    -- The components are rounded cumulatively, so that they never add up to more than the
    -- classifications cost (qc + check_list = round(cost × (share_qc + share_check_list), 2)).
    SELECT j.*, d.chat_id_digits,
           round(j.total_cost_classifications * d.split_qc, 2) AS cost_qc,
           round(round(j.total_cost_classifications * (d.split_qc + d.split_check_list), 2)
                 - round(j.total_cost_classifications * d.split_qc, 2), 2) AS cost_check_list
    FROM joined j CROSS JOIN dataset d
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

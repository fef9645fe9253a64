-- The normalised tables. Bulk tables have no primary keys (they slow appends); uniqueness and
-- references are validation checks in sql/checks/.

CREATE TABLE accounts (
    account_id     BIGINT  NOT NULL,
    signup_date    DATE    NOT NULL,   -- may precede the dataset's start_date
    activity_level DOUBLE  NOT NULL,   -- multiplies the daily chat activity probability; mean 1
    n_chats        INTEGER NOT NULL
);

CREATE TABLE chats (
    chat_id      BIGINT  NOT NULL,
    account_id   BIGINT  NOT NULL,
    chat_type    VARCHAR NOT NULL,
    created_date DATE    NOT NULL
);

-- One row per account and adopted service: its schedule.
CREATE TABLE subscriptions (
    account_id    BIGINT  NOT NULL,
    service       VARCHAR NOT NULL,   -- tasks | classifications | amocrm_call
    adopted_on    DATE    NOT NULL,   -- first-ever use of the service, first trial day
    trial_ends_on DATE    NOT NULL,   -- first day after the trial
    converted     BOOLEAN NOT NULL,   -- became a paid subscription after the trial
    ended_on      DATE,               -- first day no longer subscribed; NULL = still subscribed at the end
    end_reason    VARCHAR             -- trial_not_converted | churned | NULL
);

-- One row per active chat-day.
CREATE TABLE chat_days (
    chat_id     BIGINT NOT NULL,
    account_id  BIGINT NOT NULL,
    date        DATE   NOT NULL,
    cost_dialog DOUBLE NOT NULL
);

-- One row per service usage attached to a chat-day.
CREATE TABLE service_days (
    account_id BIGINT  NOT NULL,
    service    VARCHAR NOT NULL,
    date       DATE    NOT NULL,
    chat_id    BIGINT  NOT NULL,
    n_events   INTEGER NOT NULL,
    cost       DOUBLE  NOT NULL
);

-- One row of provenance for the loaded dataset.
CREATE TABLE dataset (
    seed                 UBIGINT NOT NULL,
    config_yaml          VARCHAR NOT NULL,   -- the effective config (after --seed/--set), canonical YAML
    config_sha256        VARCHAR NOT NULL,
    generator_version    VARCHAR NOT NULL,
    start_date           DATE    NOT NULL,
    end_date             DATE    NOT NULL,
    n_accounts           BIGINT  NOT NULL,
    distribute_mode      VARCHAR NOT NULL,
    rows_accounts        BIGINT  NOT NULL,
    rows_chats           BIGINT  NOT NULL,
    rows_subscriptions   BIGINT  NOT NULL,
    rows_chat_days       BIGINT  NOT NULL,
    rows_service_days    BIGINT  NOT NULL,
    sha256_accounts      VARCHAR NOT NULL,
    sha256_chats         VARCHAR NOT NULL,
    sha256_subscriptions VARCHAR NOT NULL,
    sha256_chat_days     VARCHAR NOT NULL,
    sha256_service_days  VARCHAR NOT NULL
);

-- The latest result of each validation check.
CREATE TABLE check_results (
    name       VARCHAR   NOT NULL,
    version    VARCHAR   NOT NULL,   -- SHA-256 of the check's SQL
    passed     BOOLEAN   NOT NULL,
    violations BIGINT    NOT NULL,   -- rows the check returned
    seconds    DOUBLE    NOT NULL,
    checked_at TIMESTAMP NOT NULL
);

-- The effective config flattened to one row per leaf, for SQL that needs a knob's value
-- (checks, calibration targets): e.g. key 'services_model.p_convert_after_trial.tasks'.
CREATE TABLE config_values (
    key    VARCHAR NOT NULL,   -- dotted path; sequence items as key[i]
    value  VARCHAR NOT NULL,   -- the value as YAML text
    number DOUBLE              -- the value as a number, when it is one
);

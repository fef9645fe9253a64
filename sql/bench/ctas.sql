-- DuckDB's own ingest, the yardstick of `gen bench`: the five tables of migrations/V1__tables.sql,
-- same column types, created with CREATE TABLE AS SELECT from range(). {table} is replaced by the
-- row count `gen load` produced for that table. Values are cheap arithmetic on the row number,
-- spread enough that DuckDB compresses them like real data (no constant columns).
CREATE TABLE accounts AS
SELECT i AS account_id,
       DATE '2025-01-01' + (i % 730)::INTEGER - 365 AS signup_date,
       ((i * 7919) % 1000003) / 500000.0 AS activity_level,
       (1 + i % 4)::INTEGER AS n_chats
FROM range({accounts}) t(i);

CREATE TABLE chats AS
SELECT i AS chat_id, i // 2 AS account_id,
       ['whatsapp', 'telegram', 'instagram'][1 + (i % 3)::INTEGER] AS chat_type,
       DATE '2025-01-01' + (i % 365)::INTEGER AS created_date
FROM range({chats}) t(i);

CREATE TABLE subscriptions AS
SELECT i AS account_id,
       ['tasks', 'classifications', 'amocrm_call'][1 + (i % 3)::INTEGER] AS service,
       DATE '2025-01-01' + (i % 365)::INTEGER AS adopted_on,
       DATE '2025-01-15' + (i % 365)::INTEGER AS trial_ends_on,
       i % 2 = 0 AS converted,
       CASE WHEN i % 3 = 0 THEN NULL ELSE DATE '2025-03-01' + (i % 300)::INTEGER END AS ended_on,
       CASE WHEN i % 3 = 0 THEN NULL ELSE 'churned' END AS end_reason
FROM range({subscriptions}) t(i);

CREATE TABLE chat_days AS
SELECT i // 48 AS chat_id, i // 97 AS account_id,
       DATE '2025-01-01' + (i % 365)::INTEGER AS date,
       ((i * 7919) % 1000003) / 1e7 AS cost_dialog
FROM range({chat_days}) t(i);

CREATE TABLE service_days AS
SELECT i // 30 AS account_id,
       ['tasks', 'classifications', 'amocrm_call'][1 + (i % 3)::INTEGER] AS service,
       DATE '2025-01-01' + (i % 365)::INTEGER AS date,
       i // 3 AS chat_id,
       (1 + (i * 31) % 40)::INTEGER AS n_events,
       ((i * 7919) % 1000003) / 1e8 AS cost
FROM range({service_days}) t(i);

-- DuckDB's own ingest, the yardstick of `gen bench`: the seven bulk tables of
-- migrations/V4__original_model.sql, same column types, created with CREATE TABLE AS SELECT from
-- range(). {table} is replaced by the row count `gen load` produced for that table. Values are
-- cheap arithmetic on the row number, spread enough that DuckDB compresses them like real data
-- (no constant columns).
CREATE TABLE accounts AS
SELECT 10000000 + i * 6000 AS account_id,
       DATE '2025-01-01' AS signup_date,
       ((i * 7919) % 1000003) / 500000.0 AS activity_level,
       (1 + i % 24)::INTEGER AS initial_chats
FROM range({accounts}) t(i);

CREATE TABLE chats AS
SELECT (i * 7919993) % 100000000000 AS chat_id, 10000000 + (i // 100) * 6000 AS account_id,
       ['whatsapp', 'telegram', 'instagram', 'avito', 'vk', 'max', 'viber'][1 + (i % 7)::INTEGER] AS chat_type,
       DATE '2025-01-01' + (i % 365)::INTEGER AS created_date,
       ((i * 7919) % 1000003) / 300000.0 AS popularity
FROM range({chats}) t(i);

CREATE TABLE chat_spells AS
SELECT (i * 7919993) % 100000000000 AS chat_id, 10000000 + (i // 100) * 6000 AS account_id,
       DATE '2025-01-01' + (i % 365)::INTEGER AS started_on,
       CASE WHEN i % 5 = 0 THEN NULL ELSE DATE '2025-02-01' + (i % 330)::INTEGER END AS ended_on,
       ['initial', 'arrival', 'arrival', 'arrival', 'reactivation'][1 + (i % 5)::INTEGER] AS origin
FROM range({chat_spells}) t(i);

CREATE TABLE account_days AS
SELECT 10000000 + (i // 365) * 6000 AS account_id,
       DATE '2025-01-01' + (i % 365)::INTEGER AS date,
       (5 + (i * 31) % 20)::INTEGER AS pool_size,
       ((i * 7) % 11 = 0)::INTEGER AS arrivals,
       (i % 500) = 0 AS reactivated
FROM range({account_days}) t(i);

CREATE TABLE subscriptions AS
SELECT 10000000 + i * 6000 AS account_id,
       ['tasks', 'classifications', 'amocrm_call'][1 + (i % 3)::INTEGER] AS service,
       DATE '2025-01-01' + (i % 365)::INTEGER AS adopted_on,
       DATE '2025-01-08' + (i % 365)::INTEGER AS trial_ends_on,
       i % 5 <> 0 AS converted,
       CASE WHEN i % 3 = 0 THEN NULL ELSE DATE '2025-03-01' + (i % 300)::INTEGER END AS ended_on,
       CASE WHEN i % 3 = 0 THEN NULL ELSE 'churned' END AS end_reason,
       ((i * 7919) % 1000003) / 500000.0 AS intensity
FROM range({subscriptions}) t(i);

CREATE TABLE chat_days AS
SELECT (i * 7919993) % 100000000000 AS chat_id, 10000000 + (i // 876) * 6000 AS account_id,
       DATE '2025-01-01' + ((i // 2) % 365)::INTEGER AS date
FROM range({chat_days}) t(i);

CREATE TABLE service_days AS
SELECT 10000000 + (i // 100) * 6000 AS account_id,
       ['dialog', 'tasks', 'classifications', 'amocrm_call'][1 + (i % 4)::INTEGER] AS service,
       DATE '2025-01-01' + (i % 365)::INTEGER AS date,
       (i * 7919993) % 100000000000 AS chat_id,
       ((i * 31) % 80)::INTEGER AS n_events,
       ((i * 7919) % 1000003) / 10000.0 AS cost
FROM range({service_days}) t(i);

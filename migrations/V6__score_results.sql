-- Detector evaluation (`gen score`): one row per metric, breakdown and grain of every scoring
-- run, so that a study's numbers stay beside the data they were computed on. A reload
-- (`gen load --replace`) clears it with the dataset it scored.
CREATE TABLE score_results (
    run             INTEGER   NOT NULL,   -- 1, 2, … in the order the runs were recorded
    scored_at       TIMESTAMP NOT NULL,
    predictions     VARCHAR   NOT NULL,   -- as given: a file path or table:NAME
    predictions_sha256 VARCHAR NOT NULL,  -- of the predictions as read (see the README), not the file's bytes
    options         VARCHAR   NOT NULL,   -- JSON: the flag rule, threshold, grace days, …
    grain           VARCHAR   NOT NULL,   -- account_day | account_service_day | chat_day | platform_day
    breakdown       VARCHAR   NOT NULL,   -- overall | kind | difficulty | injection_grain
    breakdown_value VARCHAR   NOT NULL,   -- all | the kind, band or grain
    metric          VARCHAR   NOT NULL,
    value           DOUBLE                -- NULL where undefined (e.g. precision with nothing flagged)
);

-- Targets a detector could see: each injection's clean-history requirement and the accounts it
-- passed over for want of it (gen's manifest of what was not chosen, and why). NULL in a dataset
-- loaded by a gen before this version.
ALTER TABLE anomaly_specs ADD COLUMN min_baseline_days INTEGER;      -- days of clean usage of what it changes a target needs before its start (0: none)
ALTER TABLE anomaly_specs ADD COLUMN passed_over_no_history BIGINT;  -- eligible accounts not chosen: fewer than min_baseline_days such days before any start
-- The difficulty band's measure: z = snr × √(window days, at most the baseline's days), the
-- change summed over those days against the spread of such a sum of clean days (easy >= 10,
-- medium >= 2, hard below). NULL where the band is unknown.
ALTER TABLE anomaly_injections ADD COLUMN z DOUBLE;

-- The calendar of the loaded range and the calibration targets, both written by every load.

-- One row per day of the range: its multipliers and the model's activity expectations there.
CREATE TABLE calendar (
    date               DATE    NOT NULL,
    isodow             INTEGER NOT NULL,   -- 1 = Monday
    month              INTEGER NOT NULL,   -- 1 = January
    dow_multiplier     DOUBLE  NOT NULL,
    month_multiplier   DOUBLE  NOT NULL,
    usage_factor       DOUBLE  NOT NULL,   -- multipliers divided by their means: scales usage-day probability
    exposure           DOUBLE  NOT NULL,   -- sum over existing chats of their account's activity_level
    expected_chat_days DOUBLE  NOT NULL    -- expected active chat-days (model probabilities, clipping and forced rows included)
);

-- What the data should show, knob by knob, computed from the config when loading; the observed
-- side is the SQL of sql/calibration/ (see `gen report`).
CREATE TABLE calibration_targets (
    ord        INTEGER NOT NULL,   -- report order
    knob       VARCHAR NOT NULL,   -- config key path
    item       VARCHAR,            -- service, chat type, weekday, month, retention day; NULL = global
    metric     VARCHAR NOT NULL,
    configured DOUBLE,             -- the knob's literal value, when on the target's scale
    target     DOUBLE  NOT NULL,
    sd         DOUBLE  NOT NULL,   -- spread of one observation: standard error = sd / sqrt(n)
    floor      DOUBLE  NOT NULL,   -- smallest tolerance
    kind       VARCHAR NOT NULL,   -- exact | share | estimate
    param      DOUBLE              -- a number the observing SQL needs (day, weekday, month, cap)
);

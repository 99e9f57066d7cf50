------------------------------------------------------------------------------
-- Declining customers (src/decline.c)
------------------------------------------------------------------------------

CREATE TYPE @extschema@.clv_decline AS (
    declining        boolean,
    severity         integer,
    reasons          text[],
    alert            text,
    days_silent      integer,
    typical_gap_days float8,
    p_gap            float8,
    p_alive          float8,
    p_alive_change   float8,
    orders_change    float8,
    spend_change     float8,
    value_at_risk    float8
);

COMMENT ON TYPE @extschema@.clv_decline IS
'a verdict on one customer: declining when any signal fires; severity counts the reasons; value_at_risk = value x (1 - p_alive)';

CREATE FUNCTION @extschema@.clv_decline(
    summary           @extschema@.clv_summary,
    model             @extschema@.clv_model DEFAULT NULL,
    value             float8  DEFAULT NULL,
    previous_p_alive  float8  DEFAULT NULL,
    recent_orders     bigint  DEFAULT NULL,
    previous_orders   bigint  DEFAULT NULL,
    year_ago_orders   bigint  DEFAULT NULL,
    recent_spend      float8  DEFAULT NULL,
    previous_spend    float8  DEFAULT NULL,
    year_ago_spend    float8  DEFAULT NULL,
    quiet_probability float8  DEFAULT 0.05,
    min_gaps          integer DEFAULT 3,
    p_alive_threshold float8  DEFAULT 0.5,
    p_alive_drop      float8  DEFAULT 0.2,
    orders_drop       float8  DEFAULT 0.5,
    spend_drop        float8  DEFAULT 0.5)
RETURNS @extschema@.clv_decline AS 'MODULE_PATHNAME', 'clv_decline'
LANGUAGE C IMMUTABLE PARALLEL SAFE COST 100;

COMMENT ON FUNCTION @extschema@.clv_decline(@extschema@.clv_summary, @extschema@.clv_model, float8, float8, bigint, bigint, bigint, float8, float8, float8, float8, integer, float8, float8, float8, float8) IS
'is this customer slipping away? signals gone_quiet, p_alive_low, p_alive_dropped, ordering_less, spending_less; a NULL threshold switches its signal off';

------------------------------------------------------------------------------
-- The HTML report of a pipeline, with SVG charts
------------------------------------------------------------------------------

CREATE FUNCTION @extschema@.clv_html_escape(t text)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(
               t, '&', '&amp;'), '<', '&lt;'), '>', '&gt;'), '"', '&quot;'), '''', '&#39;')
$$;

COMMENT ON FUNCTION @extschema@.clv_html_escape(text) IS
'text made safe to put inside HTML elements and attribute values';

-- An amount for a page: rounded to a whole unit, thousands separated, after
-- the currency the reader asked for ('' when NULL).
CREATE FUNCTION @extschema@.clv_html_amount(amount float8, currency text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN amount IS NULL THEN ''
                ELSE @extschema@.clv_html_escape(currency)
                     OPERATOR(pg_catalog.||) pg_catalog.to_char(pg_catalog.round(amount::pg_catalog.numeric),
                                                                'FM999,999,999,999,990') END
$$;

-- A bound on a chart's axis: as an amount from 100 up, else to three
-- significant digits (a log axis's first bound can be a fraction of a cent)
CREATE FUNCTION @extschema@.clv_html_bound(amount float8, currency text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN amount IS NULL OR amount OPERATOR(pg_catalog.>=) 100 THEN @extschema@.clv_html_amount(amount, currency)
                WHEN amount OPERATOR(pg_catalog.<=) 0 THEN @extschema@.clv_html_escape(currency) OPERATOR(pg_catalog.||) '0'
                ELSE @extschema@.clv_html_escape(currency)
                     OPERATOR(pg_catalog.||) pg_catalog.round(amount::pg_catalog.numeric,
                                                              greatest(2, 2 OPERATOR(pg_catalog.-)
                                                                          pg_catalog.floor(pg_catalog.log(amount))::integer))::text END
$$;

-- The report, as the pipeline's owner (called by clv_report_html only, which
-- first checks that the caller may read the tables it reads).  Every value
-- taken from the pipeline's tables is cast to the type the page expects, and
-- every text escaped, so that nothing stored there becomes markup.
CREATE FUNCTION @extschema@.clv_pipeline_report_steps(target_schema name, title text, currency text)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    kpis record;
    registry record;
    histogram text;
    segments text;
    nsegments integer;
    heatmap text;
    heatmap_height integer;
    declining text;
    monthly text;
    tiers text;
    channels text;
    -- with model auto: how the purchase model was chosen
    model_choice text := '';
    top_bin float8;
    low_bin float8;
BEGIN
    PERFORM @extschema@.clv_pipeline_owner_check(target_schema);
    -- clv's names in its schema clv's, and a schema name that the SQL built
    -- below reads as it is (src/extension_guard.c)
    PERFORM @extschema@.clv_check_extension_functions();
    -- an option given as NULL takes clv_report_html's default (the NULL rule)
    title := coalesce(title, 'Customer lifetime value');
    currency := coalesce(currency, '');
    EXECUTE pg_catalog.format('SELECT r.observation_end::date AS observation_end, r.refreshed_at::timestamptz AS refreshed_at,
                                      r.time_zone::text AS time_zone, r.periods::integer AS periods,
                                      (EXTRACT(epoch FROM r.period::interval) OPERATOR(pg_catalog./) 86400)::float8 AS period_days,
                                      r.discount_rate::float8 AS discount_rate, r.gross_margin::float8 AS gross_margin,
                                      pg_catalog.format(''%%s.%%I'', r.source, r.amount) AS amounts,
                                      r.channel IS NOT NULL AS has_channels,
                                      @extschema@.clv_purchase_model_label(r.purchase_kind)
                                          OPERATOR(pg_catalog.||) coalesce('' with k = '' OPERATOR(pg_catalog.||)
                                              (@extschema@.clv_model_params(r.purchase_model) OPERATOR(pg_catalog.->>) ''k''), '''') AS purchases
                                 FROM %I.clv_pipeline r', target_schema)
        INTO registry;
    IF pg_catalog.to_regclass(pg_catalog.format('%I.model_evaluation', target_schema)) IS NOT NULL THEN
        EXECUTE pg_catalog.format($q$
            SELECT pg_catalog.format(', chosen by the mean absolute error of the customers'' purchase days from %%s to %%s (the first within 1e-6 of the least): %%s',
                                     pg_catalog.to_char(pg_catalog.min(e.calibration_end) OPERATOR(pg_catalog.+) 1, 'YYYY-MM-DD'),
                                     pg_catalog.to_char(pg_catalog.max(e.holdout_end), 'YYYY-MM-DD'),
                                     pg_catalog.string_agg(@extschema@.clv_purchase_model_label(e.model) OPERATOR(pg_catalog.||) ' '
                                                           OPERATOR(pg_catalog.||) coalesce(pg_catalog.round(e.mean_absolute_error::numeric, 3)::text, 'not fitted'),
                                                           ', ' ORDER BY e.model))
              FROM %I.model_evaluation e WHERE e.calibration_frequency IS NULL$q$, target_schema)
            INTO model_choice;
    END IF;
    EXECUTE pg_catalog.format($q$
        SELECT pg_catalog.count(*) AS customers, pg_catalog.sum(s.total_amount::float8) AS revenue,
               pg_catalog.sum(s.predicted_clv::float8) AS predicted, pg_catalog.avg(s.p_alive::float8) AS p_alive,
               pg_catalog.count(*) FILTER (WHERE s.declining::boolean) AS declining,
               pg_catalog.sum(s.value_at_risk::float8) AS at_risk,
               pg_catalog.percentile_cont(0.99) WITHIN GROUP (ORDER BY s.predicted_clv::float8) AS p99,
               pg_catalog.percentile_cont(0.01) WITHIN GROUP (ORDER BY s.predicted_clv::float8)
                   FILTER (WHERE s.predicted_clv::float8 OPERATOR(pg_catalog.>) 0) AS p01_positive,
               pg_catalog.array_agg(s.predicted_clv::float8) AS predicted_values
          FROM %I.customer_scores s$q$, target_schema) INTO kpis;

    -- 1. predicted CLV distribution: 20 bins of equal width on a log scale,
    -- from the 1st to the 99th percentile of the positive values (CLV is
    -- skewed: equal widths put most customers in the first bar), those
    -- below in the first, those above in the last; the tallest bar's count
    -- labels the y axis
    -- (no positive predicted CLV, a failed fit say: a scale of 1 cent to 1)
    top_bin := CASE WHEN kpis.p99 OPERATOR(pg_catalog.>) 0 THEN kpis.p99 ELSE 1 END;
    low_bin := least(greatest(coalesce(kpis.p01_positive, top_bin OPERATOR(pg_catalog./) 1000), 1e-9),
                     top_bin OPERATOR(pg_catalog./) 10);
    EXECUTE pg_catalog.format($q$
        WITH bins AS (
            SELECT b, pg_catalog.count(c.i) AS n
              FROM pg_catalog.generate_series(0, 19) b
              LEFT JOIN pg_catalog.unnest($2::float8[]) WITH ORDINALITY AS c(predicted_clv, i)
                     ON c.predicted_clv IS NOT NULL  -- not scored: in no bar (greatest() would skip the NULL)
                    AND least(greatest(pg_catalog.floor(pg_catalog.ln(greatest(c.predicted_clv::float8, $3) OPERATOR(pg_catalog./) $3)
                                                        OPERATOR(pg_catalog./) pg_catalog.ln($1 OPERATOR(pg_catalog./) $3)
                                                        OPERATOR(pg_catalog.*) 20), 0), 19)
                        OPERATOR(pg_catalog.=) b
             GROUP BY b),
        scaled AS (
            SELECT b, n, pg_catalog.max(n) OVER () AS tallest,
                   n::float8 OPERATOR(pg_catalog./) greatest(pg_catalog.max(n) OVER (), 1) AS h FROM bins)
        SELECT pg_catalog.string_agg(
                   pg_catalog.format('<rect class="bar" x="%%s" y="%%s" width="26" height="%%s"><title>%%s to %%s: %%s customers</title></rect>',
                                     40 OPERATOR(pg_catalog.+) (b OPERATOR(pg_catalog.*) 30),
                                     20 OPERATOR(pg_catalog.+) pg_catalog.round(200 OPERATOR(pg_catalog.*) (1 OPERATOR(pg_catalog.-) h)),
                                     greatest(pg_catalog.round(200 OPERATOR(pg_catalog.*) h), 1),
                                     @extschema@.clv_html_bound($3 OPERATOR(pg_catalog.*) pg_catalog.power($1 OPERATOR(pg_catalog./) $3,
                                                                b::float8 OPERATOR(pg_catalog./) 20), $4),
                                     @extschema@.clv_html_bound($3 OPERATOR(pg_catalog.*) pg_catalog.power($1 OPERATOR(pg_catalog./) $3,
                                                                (b OPERATOR(pg_catalog.+) 1)::float8 OPERATOR(pg_catalog./) 20), $4),
                                     n),
                   '' ORDER BY b)
               OPERATOR(pg_catalog.||)
               pg_catalog.format('<text x="2" y="28" class="axis">%%s</text><text x="2" y="222" class="axis">0</text>',
                                 pg_catalog.to_char(pg_catalog.max(tallest), 'FM999,999,990'))
               OPERATOR(pg_catalog.||)
               -- the x axis: the bounds of every fifth bar, the first and last
               -- below (a log scale: each tick the same ratio further)
               (SELECT pg_catalog.string_agg(
                           pg_catalog.format('<line class="tick" x1="%%s" y1="220" x2="%%s" y2="226"/><text x="%%s" y="240" class="axis tickl">%%s</text>',
                                             40 OPERATOR(pg_catalog.+) (t OPERATOR(pg_catalog.*) 30), 40 OPERATOR(pg_catalog.+) (t OPERATOR(pg_catalog.*) 30),
                                             40 OPERATOR(pg_catalog.+) (t OPERATOR(pg_catalog.*) 30),
                                             @extschema@.clv_html_bound($3 OPERATOR(pg_catalog.*) pg_catalog.power($1 OPERATOR(pg_catalog./) $3,
                                                                        t::float8 OPERATOR(pg_catalog./) 20), $4)),
                           '' ORDER BY t)
                  FROM pg_catalog.generate_series(5, 15, 5) t)
          FROM scaled$q$) INTO histogram USING top_bin, kpis.predicted_values, low_bin, currency;

    -- 2. predicted CLV by RFM segment
    EXECUTE pg_catalog.format($q$
        WITH g AS (SELECT r.rfm_segment::text AS rfm_segment, r.customers::bigint AS customers,
                          r.predicted_clv::float8 AS predicted_clv FROM %I.segments r),
             s AS (SELECT g.rfm_segment, g.customers, coalesce(g.predicted_clv, 0) AS v,
                          pg_catalog.row_number() OVER (ORDER BY g.predicted_clv DESC NULLS LAST, g.rfm_segment)
                              OPERATOR(pg_catalog.-) 1 AS i,
                          coalesce(g.predicted_clv, 0)
                              OPERATOR(pg_catalog./) greatest(pg_catalog.max(coalesce(g.predicted_clv, 0)) OVER (), 1e-9) AS w
                     FROM g)
        SELECT pg_catalog.string_agg(
                   pg_catalog.format('<text x="0" y="%%s" class="label">%%s</text><rect class="bar" x="170" y="%%s" width="%%s" height="18"><title>%%s customers, predicted CLV %%s</title></rect><text x="%%s" y="%%s" class="value">%%s</text>',
                                     34 OPERATOR(pg_catalog.+) (s.i OPERATOR(pg_catalog.*) 24),
                                     @extschema@.clv_html_escape(s.rfm_segment),
                                     20 OPERATOR(pg_catalog.+) (s.i OPERATOR(pg_catalog.*) 24),
                                     greatest(pg_catalog.round(400 OPERATOR(pg_catalog.*) s.w), 1), s.customers,
                                     @extschema@.clv_html_amount(s.v, $1),
                                     176 OPERATOR(pg_catalog.+) pg_catalog.round(400 OPERATOR(pg_catalog.*) s.w),
                                     34 OPERATOR(pg_catalog.+) (s.i OPERATOR(pg_catalog.*) 24),
                                     @extschema@.clv_html_amount(s.v, $1)),
                   '' ORDER BY s.i),
               pg_catalog.max(s.i) OPERATOR(pg_catalog.+) 1
          FROM s$q$, target_schema) INTO segments, nsegments USING currency;

    -- 3. cohort retention heat map: every monthly cohort, 12 months on, and
    -- a legend of its shades
    EXECUTE pg_catalog.format($q$
        WITH c AS (SELECT h.cohort::date AS cohort, h.period_number::integer AS period_number,
                          h.retention::float8 AS retention, h.cohort_customers::bigint AS cohort_customers
                     FROM %I.cohorts h),
             r AS (SELECT c.*, pg_catalog.dense_rank() OVER (ORDER BY c.cohort) OPERATOR(pg_catalog.-) 1 AS row,
                          -- shade against the best month-1+ retention, so the pattern shows
                          pg_catalog.max(c.retention) FILTER (WHERE c.period_number OPERATOR(pg_catalog.>=) 1) OVER () AS best
                     FROM c)
        SELECT coalesce(pg_catalog.string_agg(
                            pg_catalog.format('<rect class="cell" x="%%s" y="%%s" width="34" height="20" style="fill-opacity:%%s"><title>%%s, month %%s: %%s%%%%</title></rect><text class="cellnum" x="%%s" y="%%s">%%s</text>',
                                              130 OPERATOR(pg_catalog.+) (r.period_number OPERATOR(pg_catalog.*) 36),
                                              20 OPERATOR(pg_catalog.+) (r.row OPERATOR(pg_catalog.*) 22),
                                              pg_catalog.round(greatest(CASE WHEN r.best OPERATOR(pg_catalog.=) 0 THEN NULL
                                                                             ELSE r.retention OPERATOR(pg_catalog./) r.best END,
                                                                        0.05)::numeric, 3),
                                              pg_catalog.to_char(r.cohort, 'YYYY-MM'), r.period_number,
                                              pg_catalog.round((100 OPERATOR(pg_catalog.*) r.retention)::numeric, 1),
                                              147 OPERATOR(pg_catalog.+) (r.period_number OPERATOR(pg_catalog.*) 36),
                                              34 OPERATOR(pg_catalog.+) (r.row OPERATOR(pg_catalog.*) 22),
                                              pg_catalog.round((100 OPERATOR(pg_catalog.*) r.retention)::numeric)),
                            '' ORDER BY r.row, r.period_number)
                            FILTER (WHERE r.period_number OPERATOR(pg_catalog.>=) 1 AND r.period_number OPERATOR(pg_catalog.<=) 12), '')
               OPERATOR(pg_catalog.||)
               coalesce(pg_catalog.string_agg(DISTINCT pg_catalog.format('<text x="0" y="%%s" class="label">%%s (%%s)</text>',
                                                                         34 OPERATOR(pg_catalog.+) (r.row OPERATOR(pg_catalog.*) 22),
                                                                         pg_catalog.to_char(r.cohort, 'YYYY-MM'),
                                                                         pg_catalog.to_char(r.cohort_customers, 'FM999,999,990')), ''), '')
               OPERATOR(pg_catalog.||)
               (SELECT pg_catalog.string_agg(pg_catalog.format('<text x="%%s" y="14" class="axis">%%s</text>',
                                                               140 OPERATOR(pg_catalog.+) (m OPERATOR(pg_catalog.*) 36), m), '')
                  FROM pg_catalog.generate_series(1, 12) m)
               OPERATOR(pg_catalog.||)
               -- the legend, under the last row: five shades and the
               -- retention each stands for
               CASE WHEN pg_catalog.max(r.best) OPERATOR(pg_catalog.>) 0 THEN
               coalesce((SELECT pg_catalog.string_agg(
                                    pg_catalog.format('<rect class="cell" x="%%s" y="%%s" width="34" height="14" style="fill-opacity:%%s"/><text class="cellnum" x="%%s" y="%%s">%%s%%%%</text>',
                                                      130 OPERATOR(pg_catalog.+) (k OPERATOR(pg_catalog.*) 60),
                                                      pg_catalog.max(r.row) OPERATOR(pg_catalog.*) 22 OPERATOR(pg_catalog.+) 52,
                                                      k::float8 OPERATOR(pg_catalog./) 5, 147 OPERATOR(pg_catalog.+) (k OPERATOR(pg_catalog.*) 60),
                                                      pg_catalog.max(r.row) OPERATOR(pg_catalog.*) 22 OPERATOR(pg_catalog.+) 78,
                                                      pg_catalog.round((100 OPERATOR(pg_catalog.*) pg_catalog.max(r.best)
                                                                        OPERATOR(pg_catalog.*) k OPERATOR(pg_catalog./) 5)::numeric, 1)),
                                    '' ORDER BY k)
                           FROM pg_catalog.generate_series(1, 5) k)
                        OPERATOR(pg_catalog.||)
                        pg_catalog.format('<text x="0" y="%%s" class="label">shade: retention</text>',
                                          pg_catalog.max(r.row) OPERATOR(pg_catalog.*) 22 OPERATOR(pg_catalog.+) 63), '')
               ELSE '' END,
               -- rows, legend and month labels
               coalesce(pg_catalog.max(r.row) OPERATOR(pg_catalog.+) 1, 0) OPERATOR(pg_catalog.*) 22 OPERATOR(pg_catalog.+) 90
          FROM r$q$, target_schema) INTO heatmap, heatmap_height;

    -- 4. the declining customers with the most value at risk
    EXECUTE pg_catalog.format($q$
        SELECT coalesce(pg_catalog.string_agg(
                            pg_catalog.format('<tr><td>%%s</td><td>%%s</td><td class="num">%%s</td><td>%%s</td></tr>',
                                              @extschema@.clv_html_escape(pg_catalog.format('%%s', d.customer_id)),
                                              @extschema@.clv_html_escape(coalesce(d.rfm_segment::text, '')),
                                              @extschema@.clv_html_amount(d.value_at_risk::float8, $1),
                                              @extschema@.clv_html_escape(d.decline_alert::text)),
                            '' ORDER BY d.value_at_risk DESC), '')
          FROM (SELECT s.* FROM %I.declining_customers s
                 WHERE s.value_at_risk IS NOT NULL ORDER BY s.rank::bigint LIMIT 10) d$q$, target_schema)
        INTO declining USING currency;

    -- 5. monthly revenue of the last 24 months as bars (the partial month
    -- paler), the seasonally adjusted revenue as a line, a legend, the
    -- y axis labelled with the highest value and every third month named
    EXECUTE pg_catalog.format($q$
        WITH m AS (SELECT x.month::date AS month, x.revenue::float8 AS revenue, x.seasonal_index::float8 AS seasonal_index,
                          x.revenue_seasonally_adjusted::float8 AS adjusted, x.partial_month::boolean AS partial_month
                     FROM %I.monthly x ORDER BY x.month DESC LIMIT 24),
             s AS (SELECT m.*, pg_catalog.row_number() OVER (ORDER BY m.month) OPERATOR(pg_catalog.-) 1 AS i,
                          greatest(pg_catalog.max(greatest(m.revenue, coalesce(m.adjusted, 0))) OVER (), 1e-9) AS top
                     FROM m)
        SELECT pg_catalog.string_agg(
                   pg_catalog.format('<rect class="%%s" x="%%s" y="%%s" width="20" height="%%s"><title>%%s: revenue %%s, seasonal index %%s%%s</title></rect>',
                                     CASE WHEN s.partial_month THEN 'bar partial' ELSE 'bar' END,
                                     70 OPERATOR(pg_catalog.+) (s.i OPERATOR(pg_catalog.*) 26),
                                     30 OPERATOR(pg_catalog.+) pg_catalog.round(200 OPERATOR(pg_catalog.*)
                                         (1 OPERATOR(pg_catalog.-) (greatest(s.revenue, 0) OPERATOR(pg_catalog./) s.top))),
                                     greatest(pg_catalog.round(200 OPERATOR(pg_catalog.*) greatest(s.revenue, 0) OPERATOR(pg_catalog./) s.top), 1),
                                     pg_catalog.to_char(s.month, 'YYYY-MM'), @extschema@.clv_html_amount(s.revenue, $1),
                                     coalesce(pg_catalog.to_char(s.seasonal_index, 'FM990.00'), 'none'),
                                     CASE WHEN s.partial_month THEN ' (partial month)' ELSE '' END)
                   OPERATOR(pg_catalog.||)
                   CASE WHEN s.i OPERATOR(pg_catalog.%%) 3 OPERATOR(pg_catalog.=) 0
                        THEN pg_catalog.format('<text x="%%s" y="246" class="axis">%%s</text>',
                                               66 OPERATOR(pg_catalog.+) (s.i OPERATOR(pg_catalog.*) 26), pg_catalog.to_char(s.month, 'YYYY-MM'))
                        ELSE '' END,
                   '' ORDER BY s.i)
               OPERATOR(pg_catalog.||)
               coalesce(pg_catalog.format('<polyline class="line" points="%%s"/>',
                                          pg_catalog.string_agg(pg_catalog.format('%%s,%%s', 80 OPERATOR(pg_catalog.+) (s.i OPERATOR(pg_catalog.*) 26),
                                                                                  30 OPERATOR(pg_catalog.+) pg_catalog.round(200 OPERATOR(pg_catalog.*)
                                                                                      (1 OPERATOR(pg_catalog.-) (greatest(s.adjusted, 0) OPERATOR(pg_catalog./) s.top)))),
                                                                ' ' ORDER BY s.i) FILTER (WHERE s.adjusted IS NOT NULL)), '')
               OPERATOR(pg_catalog.||)
               pg_catalog.format('<text x="2" y="38" class="axis">%%s</text><text x="2" y="232" class="axis">0</text>',
                                 @extschema@.clv_html_amount(pg_catalog.max(s.top), $1))
          FROM s$q$, target_schema) INTO monthly USING currency;

    -- 6. the value tiers, best first
    EXECUTE pg_catalog.format($q$
        SELECT pg_catalog.string_agg(
                   pg_catalog.format('<tr><td>%%s</td><td class="num">%%s</td><td class="num">%%s</td><td class="num">%%s</td><td class="num">%%s</td></tr>',
                                     @extschema@.clv_html_escape(t.value_tier::text),
                                     pg_catalog.to_char(t.customers::bigint, 'FM999,999,999,990'),
                                     @extschema@.clv_html_amount(t.min_predicted_clv::float8, $1),
                                     @extschema@.clv_html_amount(t.predicted_clv::float8, $1),
                                     coalesce(pg_catalog.to_char(100 OPERATOR(pg_catalog.*) t.share_of_predicted_clv::float8, 'FM990.0') OPERATOR(pg_catalog.||) '%%', '')),
                   '' ORDER BY t.min_predicted_clv::float8 DESC NULLS LAST, t.value_tier::text)
          FROM %I.value_tiers t$q$, target_schema) INTO tiers USING currency;

    -- 7. the channels, when the orders name them: predicted CLV credited to
    -- each by four rules
    IF registry.has_channels THEN
        EXECUTE pg_catalog.format($q$
            SELECT '<table id="channels"><tr><th>channel</th><th>customers</th><th>orders</th><th>revenue</th>'
                   '<th>predicted CLV, first touch</th><th>last touch</th><th>linear</th><th>position based</th></tr>'
                   OPERATOR(pg_catalog.||)
                   coalesce(pg_catalog.string_agg(
                       pg_catalog.format('<tr><td>%%s</td><td class="num">%%s</td><td class="num">%%s</td><td class="num">%%s</td><td class="num">%%s</td><td class="num">%%s</td><td class="num">%%s</td><td class="num">%%s</td></tr>',
                                         @extschema@.clv_html_escape(c.channel::text),
                                         pg_catalog.to_char(c.customers::bigint, 'FM999,999,999,990'),
                                         pg_catalog.to_char(c.orders::bigint, 'FM999,999,999,990'),
                                         @extschema@.clv_html_amount(c.revenue::float8, $1),
                                         @extschema@.clv_html_amount(c.predicted_clv_first_touch::float8, $1),
                                         @extschema@.clv_html_amount(c.predicted_clv_last_touch::float8, $1),
                                         @extschema@.clv_html_amount(c.predicted_clv_linear::float8, $1),
                                         @extschema@.clv_html_amount(c.predicted_clv_position_based::float8, $1)),
                       '' ORDER BY c.predicted_clv_linear::float8 DESC NULLS LAST, c.channel::text), '')
                   OPERATOR(pg_catalog.||) '</table>'
              FROM %I.channels c$q$, target_schema) INTO channels USING currency;
    ELSE
        channels := '<p class="note" id="channels">The orders name no channel: give channel to clv_create_pipeline to see predicted CLV by channel.</p>';
    END IF;

    -- lint: allow non-sql-string (an HTML page template, not SQL)
    RETURN pg_catalog.format($html$<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>%1$s</title>
<style>
body { font-family: sans-serif; margin: 24px; color: #222; max-width: 1100px; }
h1 { font-size: 22px; } h2 { font-size: 17px; margin-top: 28px; }
.kpis { display: flex; gap: 28px; } .kpi b { display: block; font-size: 20px; }
svg { background: #fafafa; border: 1px solid #ddd; }
.bar { fill: #2f6f9f; } .bar.partial { fill: #9dbfd8; } .line { fill: none; stroke: #c0392b; stroke-width: 2; } .cell { fill: #1a7f4b; } .label, .value, .axis { font-size: 12px; fill: #333; }
.cellnum { font-size: 10px; fill: #111; text-anchor: middle; } .tick { stroke: #333; } .tickl { text-anchor: middle; } .note { font-size: 13px; color: #555; }
table { border-collapse: collapse; font-size: 13px; } td, th { border-bottom: 1px solid #ddd; padding: 4px 8px; text-align: left; }
.num { text-align: right; }
</style></head>
<body>
<h1>%1$s</h1>
<p>Pipeline <code>%2$s</code>: data up to %3$s (%16$s), refreshed %17$s.</p>
<p id="clv-basis">Predicted CLV: %18$s.</p>
<div class="kpis">
<div class="kpi"><b>%4$s</b>customers</div>
<div class="kpi"><b>%5$s</b>net revenue so far</div>
<div class="kpi"><b>%6$s</b>predicted CLV, all customers</div>
<div class="kpi"><b>%7$s</b>mean P(alive)</div>
<div class="kpi"><b>%8$s</b>declining, with %9$s at risk</div>
</div>
<h2>Predicted CLV per customer</h2>
<svg id="chart-distribution" class="chart" width="680" height="262" role="img" aria-label="histogram of predicted CLV, log scale">
%10$s
<text x="40" y="256" class="axis">%19$s or less</text><text x="640" y="256" class="axis" text-anchor="end">%11$s and more</text>
</svg>
<p class="note">Customers (y axis) by predicted CLV (x axis, log scale: each bar spans the same ratio of values).</p>
<h2>Predicted CLV by RFM segment</h2>
<svg id="chart-segments" class="chart" width="660" height="%12$s" role="img" aria-label="predicted CLV by segment">
%13$s
</svg>
<h2>Cohort retention: share of each month's new customers buying 1 to 12 months later</h2>
<svg id="chart-cohorts" class="chart" width="620" height="%23$s" role="img" aria-label="cohort retention heat map, darker is higher">
%14$s
</svg>
<p class="note">Rows: the month of the first order, with the cohort's size in brackets. Columns: months since. Cells: the percentage of the cohort that bought that month; darker is higher, as the legend under the map shows.</p>
<h2>Monthly revenue, and seasonally adjusted</h2>
<svg id="chart-monthly" class="chart" width="720" height="260" role="img" aria-label="monthly revenue, last 24 months">
<rect class="bar" x="420" y="6" width="10" height="10"/><text x="434" y="15" class="axis">revenue</text>
<rect class="bar partial" x="490" y="6" width="10" height="10"/><text x="504" y="15" class="axis">partial month</text>
<line class="line" x1="590" y1="11" x2="606" y2="11"/><text x="610" y="15" class="axis">seasonally adjusted</text>
%20$s
</svg>
<p class="note">Net revenue of each calendar month (y axis) for the last 24 months; the line divides it by the month's seasonal index, so that a month that is low only for the time of year does not look like a decline.</p>
<h2>Value tiers</h2>
<table id="value-tiers"><tr><th>tier</th><th>customers</th><th>lowest predicted CLV</th><th>predicted CLV</th><th>share</th></tr>
%21$s
</table>
<h2>Predicted CLV by channel</h2>
%22$s
<h2>Declining customers with the most value at risk</h2>
<table><tr><th>customer</th><th>segment</th><th>at risk</th><th>why</th></tr>
%15$s
</table>
<script>
// The test suite opens this page in headless Chromium: count the charts that drew something.
var ok = 0;
document.querySelectorAll("svg.chart").forEach(function (svg) {
  var drawn = Array.prototype.filter.call(svg.querySelectorAll("rect"), function (r) {
    var b = r.getBBox(); return b.width > 0 && b.height > 0;
  });
  if (drawn.length > 0) ok++;
});
document.body.setAttribute("data-charts-drawn", ok);
</script>
</body></html>
$html$,
        @extschema@.clv_html_escape(title), @extschema@.clv_html_escape(target_schema::pg_catalog.text),
        coalesce(pg_catalog.to_char(registry.observation_end, 'YYYY-MM-DD'), 'never'),
        pg_catalog.to_char(kpis.customers, 'FM999,999,999,990'), @extschema@.clv_html_amount(kpis.revenue, currency),
        @extschema@.clv_html_amount(kpis.predicted, currency), pg_catalog.to_char(kpis.p_alive, 'FM0.00'),
        pg_catalog.to_char(kpis.declining, 'FM999,999,990'), @extschema@.clv_html_amount(kpis.at_risk, currency),
        coalesce(histogram, ''), @extschema@.clv_html_bound(top_bin, currency),
        30 OPERATOR(pg_catalog.+) (24 OPERATOR(pg_catalog.*) coalesce(nsegments, 1)),
        coalesce(segments, ''), coalesce(heatmap, ''), coalesce(declining, ''),
        @extschema@.clv_html_escape(registry.time_zone),
        coalesce(pg_catalog.to_char(registry.refreshed_at AT TIME ZONE registry.time_zone, 'YYYY-MM-DD HH24:MI'), 'never'),
        @extschema@.clv_html_escape(
            pg_catalog.format('the gross margin of the next %s periods of %s days, discounted at %s%% a period, at a gross margin of %s%s; purchases from %s%s, spend from Gamma-Gamma',
                              registry.periods, registry.period_days, registry.discount_rate OPERATOR(pg_catalog.*) 100,
                              registry.gross_margin,
                              CASE WHEN registry.gross_margin OPERATOR(pg_catalog.=) 1
                                   THEN ' (so it is revenue: give gross_margin when the pipeline is made)' ELSE '' END,
                              registry.purchases, model_choice)
            OPERATOR(pg_catalog.||)
            CASE WHEN currency OPERATOR(pg_catalog.=) ''
                 THEN pg_catalog.format('. Amounts are in the currency of %s (give clv_report_html a currency to show it)',
                                        registry.amounts)
                 ELSE pg_catalog.format('. Amounts (%s) are shown in %s', registry.amounts, pg_catalog.btrim(currency)) END),
        @extschema@.clv_html_bound(low_bin, currency),
        coalesce(monthly, ''), coalesce(tiers, ''), coalesce(channels, ''), coalesce(heatmap_height, 90));
END
$$;

CREATE FUNCTION @extschema@.clv_report_html(
    target_schema name DEFAULT 'clv_report', title text DEFAULT 'Customer lifetime value', currency text DEFAULT '')
RETURNS text AS 'MODULE_PATHNAME', 'clv_report_html'
LANGUAGE C STABLE;

COMMENT ON FUNCTION @extschema@.clv_report_html(name, text, text) IS
'a self-contained HTML page with SVG charts of a pipeline, for whoever may read its tables (read as the pipeline''s owner): what predicted CLV is (horizon, discount, margin, currency), KPIs, the predicted CLV distribution, value by RFM segment, a cohort retention heat map, monthly revenue with its seasonal adjustment, the value tiers, CLV by channel and the top declining customers; currency is written before every amount, such as ''$'' or ''EUR ''';

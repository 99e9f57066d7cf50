-- What must hold in any one snapshot, whatever the refreshes and writers do:
-- a refresh replaces every view in one transaction, so the views agree with
-- each other; and the summaries never count more order rows than the orders
-- table holds up to the observation end (they may count fewer: the views lag
-- the writers).  A violation is recorded, not raised (see setup.sql).
INSERT INTO load.violations (what, detail)
SELECT 'views disagree',
       format('customer_summary %s, customer_scores %s, segments %s, value_tiers %s, declining %s/%s, models %s',
              sm.n, sc.n, sg.n, vt.n, dc.n, sc.declining, md.n)
FROM (SELECT count(*) AS n FROM clv_report.customer_summary) sm,
     (SELECT count(*) AS n, count(*) FILTER (WHERE declining) AS declining FROM clv_report.customer_scores) sc,
     (SELECT sum(customers) AS n FROM clv_report.segments) sg,
     (SELECT sum(customers) AS n FROM clv_report.value_tiers) vt,
     (SELECT count(*) AS n FROM clv_report.declining_customers) dc,
     (SELECT count(*) AS n FROM clv_report.models) md
WHERE NOT (sm.n = sc.n AND sc.n = sg.n AND sc.n = vt.n AND dc.n = sc.declining AND md.n = 3);
INSERT INTO load.violations (what, detail)
SELECT 'summaries count more order rows than exist',
       format('customer_summary orders + refunds %s, order rows up to %s: %s', s.n, p.observed_until, o.n)
FROM clv_report.clv_pipeline p,
     (SELECT sum(orders + refunds) AS n FROM clv_report.customer_summary) s,
     LATERAL (SELECT count(*) AS n FROM orders o WHERE o.ordered_at <= p.observed_until) o
WHERE s.n > o.n;

-- a customer page: the pipeline's row, and the same customer scored live from
-- the orders with the pipeline's fitted models (kept in its registry), its
-- calendar days taken in the pipeline's time zone
\set cid random(1, :max_customer)
SELECT * FROM clv_report.customer_scores WHERE customer_id = :cid;
SELECT * FROM clv_report.declining_customers WHERE customer_id = :cid;
SELECT clv_p_alive(m.purchase_model, s.summary) AS p_alive,
       clv_predicted_value(m.purchase_model, m.spend_model, s.summary, 12, 0.01, interval '30 days', 0.35) AS predicted_clv,
       clv_next_purchase(m.purchase_model, s.summary) AS next_purchase
FROM clv_report.clv_pipeline m,
     LATERAL (SELECT clv_summary(o.ordered_at, o.amount::float8, now(), '1 day', m.time_zone) AS summary
              FROM orders o WHERE o.customer_id = :cid AND o.ordered_at <= now()) s;

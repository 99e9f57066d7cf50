-- a customer page: the pipeline's row, and the same customer scored live from
-- the orders with the pipeline's fitted models
\set cid random(1, :max_customer)
SELECT * FROM clv_report.customer_scores WHERE customer_id = :cid;
SELECT * FROM clv_report.declining_customers WHERE customer_id = :cid;
SELECT clv_p_alive(m.purchases, s.summary) AS p_alive,
       clv_predicted_value(m.purchases, m.spend, s.summary, 12, 0.01, interval '30 days', 0.35) AS predicted_clv,
       clv_next_purchase(m.purchases, s.summary) AS next_purchase
FROM clv_report.models m,
     (SELECT clv_summary(ordered_at, amount::float8, now()) AS summary
      FROM orders WHERE customer_id = :cid AND ordered_at <= now()) s;

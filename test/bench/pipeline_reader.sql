-- A dashboard's reads of the benchmark's pipeline (test/bench/pipeline.sh,
-- run by pgbench with -D n_customers=N): one customer's scores, the value by
-- segment, and the ten declining customers with the most value at risk.
\set c random(1, :n_customers)
SELECT * FROM bench.customer_scores WHERE customer_id = :c;
SELECT rfm_segment, customers, predicted_clv, share_of_predicted_clv FROM bench.segments;
SELECT customer_id, value_at_risk, decline_alert FROM bench.declining_customers ORDER BY rank LIMIT 10;

-- the dashboard page: the README's queries, each as a BI tool sends it
SELECT width_bucket(predicted_clv, 0, 500, 20) AS bucket, count(*) FROM clv_report.customer_scores GROUP BY 1 ORDER BY 1;
SELECT rfm_segment, customers, predicted_clv, share_of_predicted_clv FROM clv_report.segments ORDER BY predicted_clv DESC;
SELECT value_tier, customers, min_predicted_clv, share_of_predicted_clv FROM clv_report.value_tiers ORDER BY min_predicted_clv DESC;
SELECT cohort, period_number, retention FROM clv_report.cohorts WHERE period_number BETWEEN 1 AND 12;
SELECT customer_id, rfm_segment, value_at_risk, decline_reasons, decline_alert
FROM clv_report.customer_scores WHERE declining ORDER BY value_at_risk DESC LIMIT 50;
SELECT month, active_customers, new_customers, revenue, seasonal_index FROM clv_report.monthly ORDER BY month DESC LIMIT 12;
SELECT channel, customers, revenue, predicted_clv_linear FROM clv_report.channels ORDER BY channel;
SELECT c.signup_channel, avg(s.predicted_clv) / avg(c.acquisition_cost)::float8 AS clv_cac
FROM clv_report.customer_scores s JOIN customers c USING (customer_id) GROUP BY 1;

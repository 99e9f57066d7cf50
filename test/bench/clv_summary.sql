-- 2. The clv_summary aggregate (calendar days in the session TimeZone).
SELECT customer_id, clv_summary(ordered_at, amount, '2026-07-01')
FROM orders
GROUP BY customer_id

-- 1. Baseline: the cheapest per-customer scan (no day logic at all).
SELECT customer_id, count(*), sum(amount), min(ordered_at), max(ordered_at)
FROM orders
GROUP BY customer_id

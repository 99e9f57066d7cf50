-- a new order of an existing customer, dated now (the default an application
-- would use), worth about what the customer usually spends: random amounts
-- would change the Gamma-Gamma fit's picture of spend within a minute
\set cid random(1, :max_customer)
\set ch random(1, 4)
\set pct random(60, 140)
WITH o AS (
    INSERT INTO orders (customer_id, channel, ordered_at, amount)
    SELECT :cid, (ARRAY['web', 'store', 'phone', 'marketplace'])[:ch], now(),
           round(coalesce(avg(amount) FILTER (WHERE amount > 0), 45) * :pct / 100, 2)
    FROM orders WHERE customer_id = :cid
    RETURNING order_id, customer_id, channel, ordered_at, amount)
INSERT INTO load.ledger (kind, order_id, customer_id, channel, ordered_at, amount)
SELECT 'order', order_id, customer_id, channel, ordered_at, amount FROM o;

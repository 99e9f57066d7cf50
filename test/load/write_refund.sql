-- a refund of half of an earlier order (none when the drawn row is a refund)
\set oid random(1, :max_order)
WITH o AS (
    INSERT INTO orders (customer_id, channel, ordered_at, amount)
    SELECT customer_id, channel, now(), -round(amount / 2, 2) FROM orders
    WHERE order_id = :oid AND amount >= 0.02
    RETURNING order_id, customer_id, channel, ordered_at, amount)
INSERT INTO load.ledger (kind, order_id, customer_id, channel, ordered_at, amount)
SELECT 'refund', order_id, customer_id, channel, ordered_at, amount FROM o;

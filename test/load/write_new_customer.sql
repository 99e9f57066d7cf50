-- a sign-up with its first order, and sometimes a second one the same day, in
-- one transaction with some application work inside it (\sleep): the order
-- is dated at the transaction's start and committed a little later, as a
-- checkout would be
\set ch random(1, 4)
\set cents random_gaussian(1500, 9000, 3)
\set think random(0, 40)
\set second random(1, 4)
BEGIN;
INSERT INTO customers (customer_id, signup_channel, segment, country, acquisition_cost, created_at)
VALUES (nextval('load.new_customer_id'), 'paid search', 'consumer', 'DE', 38, now())
RETURNING customer_id AS new_cid \gset
\sleep :think ms
WITH o AS (
    INSERT INTO orders (customer_id, channel, ordered_at, amount)
    VALUES (:new_cid, (ARRAY['web', 'store', 'phone', 'marketplace'])[:ch], now(), :cents / 100.0)
    RETURNING order_id, customer_id, channel, ordered_at, amount)
INSERT INTO load.ledger (kind, order_id, customer_id, channel, ordered_at, amount)
SELECT 'first order', order_id, customer_id, channel, ordered_at, amount FROM o;
WITH o AS (
    INSERT INTO orders (customer_id, channel, ordered_at, amount)
    SELECT :new_cid, 'web', clock_timestamp(), :cents / 300.0 WHERE :second = 1
    RETURNING order_id, customer_id, channel, ordered_at, amount)
INSERT INTO load.ledger (kind, order_id, customer_id, channel, ordered_at, amount)
SELECT 'same-day order', order_id, customer_id, channel, ordered_at, amount FROM o;
END;

#!/bin/bash
# The pipeline's refresh races, one at a time, on a throwaway cluster:
#   pg_virtualenv -t -v 15 test/load/race_repro.sh        (clv installed)
# Each scenario prints how many customers' customer_summary differs from
# clv_summary over the orders; 0 everywhere once the races are fixed.
#   1. an order dated now() whose transaction commits after an incremental
#      refresh took its snapshot is never added by later incremental refreshes
#   2. two incremental refreshes at once count the same new orders twice
#   3. an incremental refresh waiting behind a full one counts them twice
#   4. a refresh that started first but reaches the states second fails:
#      "a summary state can only be advanced to a later observation_end"
# FIX=/abs/path.sql runs a candidate fix after CREATE EXTENSION.
set -u
export PGOPTIONS="-c client_min_messages=error"
P() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }
P -c "CREATE EXTENSION clv"; [ -z "${FIX:-}" ] || P -f "$FIX"
P <<'SQL'
SET client_min_messages = warning;
CREATE TABLE orders (order_id bigserial PRIMARY KEY, customer_id bigint, ordered_at timestamptz, amount numeric);
SELECT setseed(0.3);
INSERT INTO orders (customer_id, ordered_at, amount)
SELECT c, now() - random() * interval '700 days', round((20 + 80 * random())::numeric, 2)
FROM generate_series(1, 2000) c, generate_series(1, 12) k WHERE k <= 1 + (c % 7) * random() * 2;
SELECT count(*) FROM clv_create_pipeline('orders', 'customer_id', 'ordered_at', 'amount', 'p');
SQL
check() {  # customer_summary vs clv_summary over the orders, customers that differ
P <<'SQL'
SELECT 'differing customers: ' || count(*) || coalesce(' e.g. ' || min(customer_id) || ' orders pipeline/recomputed ' || min(po) || '/' || min(ro), '')
FROM (SELECT s.customer_id, s.orders AS po, r.orders AS ro
      FROM p.customer_summary s FULL JOIN
           (SELECT customer_id, (clv_summary(ordered_at, amount, (SELECT observed_until FROM p.clv_pipeline))).orders
            FROM orders WHERE ordered_at <= (SELECT observed_until FROM p.clv_pipeline) GROUP BY 1) r USING (customer_id)
      WHERE s.orders IS DISTINCT FROM r.orders) d;
SQL
}
INCREMENTAL="'p', incremental => true"
FULL="'p'"
refresh() { P -c "SELECT count(*) FROM clv_refresh_pipeline($1)" >/dev/null; }
# a refresh in a transaction held open for 2 s, in the background
refresh_held() { P -c "BEGIN" -c "SELECT count(*) FROM clv_refresh_pipeline($1)" -c "SELECT pg_sleep(2)" -c "COMMIT" >/dev/null & }
new_orders() { P -c "INSERT INTO orders (customer_id, ordered_at, amount) SELECT c, now(), 5 FROM generate_series(1, 10) c"; }

echo "== 1. an order in flight while an incremental refresh runs"
P -c "BEGIN" -c "INSERT INTO orders (customer_id, ordered_at, amount) VALUES (1, now(), 99)" -c "SELECT pg_sleep(2)" -c "COMMIT" &
sleep 0.5
refresh "$INCREMENTAL"
wait
refresh "$INCREMENTAL"
check
refresh "$FULL"
echo "after a full refresh:"; check

echo "== 2. two incremental refreshes at once"
new_orders
refresh_held "$INCREMENTAL"
sleep 0.5
refresh "$INCREMENTAL"
wait
check
refresh "$FULL"

echo "== 3. an incremental refresh while a full one runs"
new_orders
refresh_held "$FULL"
sleep 0.5
refresh "$INCREMENTAL"
wait
check
refresh "$FULL"

echo "== 4. an incremental refresh that started first but reaches the states second"
new_orders
P -c "BEGIN" -c "SELECT pg_sleep(1)" -c "SELECT count(*) FROM clv_refresh_pipeline($INCREMENTAL)" -c "COMMIT" >/dev/null &
sleep 0.3
refresh_held "$INCREMENTAL"
wait
check

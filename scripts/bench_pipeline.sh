#!/bin/bash
# The pipeline refresh benchmark: clv_refresh_pipeline incremental against
# full, per step (the summary states, then each materialized view).
#
#   scripts/bench_pipeline.sh [CUSTOMERS]      (default 1000000)
#
# Through scripts/bench_customers.sh (setup, throwaway cluster, machine
# facts):
#   1. generates raw orders over the three years up to now() (1 to 30 per
#      customer, about 10.5 million at a million customers, seasonal
#      amounts, 3% refunds), indexes ordered_at, VACUUM ANALYZE, loads the
#      table into shared_buffers, and creates the pipeline with
#      clv_create_pipeline (as_of NULL) (setup, not timed);
#   2. times, in one session, single core, RUNS (default 3) rounds after a
#      warm-up round of: a day's new orders (CUSTOMERS / 200 customers, 1 to
#      3 orders each, dated after the last refresh) and an incremental
#      refresh, another day's orders and a full refresh (both concurrent);
#      then once each, not concurrent;
#   3. checks (not timed) that the summary states after the incremental
#      refresh are those of the full refresh that follows;
#   4. prints the medians per step and the ratios (test/bench/pipeline.sql).
# Environment: RUNS, SEED (default 0.42).
# About 24 minutes at a million customers on two cores.
exec "$(dirname "$0")/bench_customers.sh" pipeline "$@"

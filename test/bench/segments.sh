#!/bin/bash
# The segmentation benchmark: clv_rfm_breakpoints, clv_rfm, clv_decline and
# clv_seasonality against plain SQL or the cheapest scan of the same rows.
#
#   test/bench/segments.sh [CUSTOMERS]      (default 1000000)
#
# Through test/bench/customers.sh (setup, throwaway cluster, machine
# facts):
#   1. generates raw orders (1 to 30 per customer over three years, seasonal
#      amounts, 3% refunds) and one clv_summary per customer, VACUUM
#      ANALYZE, loads both tables into shared_buffers; fits BG/NBD and the
#      RFM breakpoints once (setup, not timed);
#   2. checks that the plain-SQL breakpoints and segments give what clv
#      gives, and prints the segments, decline counts and seasonal index;
#   3. times, in one session, warm, single core, RUNS (default 3)
#      interleaved rounds after a warm-up round, and prints the medians and
#      ratios (test/bench/segments.sql).
# Environment: RUNS, SEED (default 0.42).
# About 2 minutes at a million customers on two cores, after setup.
exec "$(dirname "$0")/customers.sh" segments "$@"

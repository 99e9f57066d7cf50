# clv: PGXS build.  `make && sudo make install`, then `make installcheck`
# against a running server (scripts/test.sh does all of it on a throwaway
# cluster).

EXTENSION = clv
EXTVERSION = $(shell sed -n "s/^default_version = '\(.*\)'/\1/p" clv.control)

MODULE_big = clv
OBJS = $(patsubst %.c,%.o,$(wildcard src/*.c))

# The extension's scripts are in extension/: the current version's install
# script is assembled from extension/install/, one file per concern in the
# order of their names; beside it are the first release (frozen) and the
# upgrade chain from it, which sql/upgrade.sql checks lead to the same objects.
# sql/ holds the pg_regress tests, with their expected output in expected/.
INSTALL_PARTS = $(sort $(wildcard extension/install/*.sql))
DATA_built = extension/$(EXTENSION)--$(EXTVERSION).sql
DATA = $(filter-out $(DATA_built),$(wildcard extension/$(EXTENSION)--*.sql))
REGRESS = $(sort $(notdir $(basename $(wildcard sql/*.sql))))
REGRESS_OPTS = --inputdir=. --load-extension=clv

PG_CPPFLAGS = -I$(srcdir)/src
PG_CFLAGS = -Wextra -Wno-unused-parameter -Wno-sign-compare -Wno-missing-field-initializers
ifdef WERROR
PG_CFLAGS += -Werror
endif

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# one blank line between the parts
$(DATA_built): $(INSTALL_PARTS) clv.control
	awk 'FNR == 1 && NR > 1 { print "" } { print }' $(INSTALL_PARTS) > $@

# every object depends on the shared headers
$(OBJS): $(wildcard src/*.h)

.PHONY: prove bench demo fuzz sanitize load
# pgTAP suites: test/pgtap/*.sql, run by pg_prove against the server in PG* env.
prove:
	pg_prove --ext .sql --set shared_data=$(abspath ../shared/data) test/pgtap/

bench:
	test/bench/summary.sh

demo:
	scripts/demo.sh

# hardening (README, "Reliability"): libFuzzer harnesses, the suite under
# ASan + UBSan, the pipeline under concurrent load
fuzz:
	scripts/fuzz.sh

sanitize:
	scripts/sanitize.sh

load:
	scripts/load.sh

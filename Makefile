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
# Older versions are not trusted (extension/clv--<version>.control): only a
# superuser installs them or updates to them.  A role that installed one when
# it was current updates in one step, by the update scripts from its version
# on joined into one (UPDATE_SHORTCUTS), which PostgreSQL prefers to the
# longer path.
UPDATE_STEPS = extension/$(EXTENSION)--0.1.0--0.2.0.sql extension/$(EXTENSION)--0.2.0--0.3.0.sql \
	extension/$(EXTENSION)--0.3.0--$(EXTVERSION).sql
UPDATE_SHORTCUTS = extension/$(EXTENSION)--0.1.0--$(EXTVERSION).sql extension/$(EXTENSION)--0.2.0--$(EXTVERSION).sql
DATA_built = extension/$(EXTENSION)--$(EXTVERSION).sql $(UPDATE_SHORTCUTS)
DATA = $(filter-out $(DATA_built),$(wildcard extension/$(EXTENSION)--*.sql)) \
	$(wildcard extension/$(EXTENSION)--*.control)
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
extension/$(EXTENSION)--$(EXTVERSION).sql: $(INSTALL_PARTS) clv.control
	awk 'FNR == 1 && NR > 1 { print "" } { print }' $(INSTALL_PARTS) > $@

extension/$(EXTENSION)--0.1.0--$(EXTVERSION).sql: $(UPDATE_STEPS)
extension/$(EXTENSION)--0.2.0--$(EXTVERSION).sql: $(wordlist 2,3,$(UPDATE_STEPS))
$(UPDATE_SHORTCUTS): clv.control
	{ echo '-- made by make: the update scripts below, joined (see UPDATE_SHORTCUTS in the Makefile)'; \
	  awk 'FNR == 1 && NR > 1 { print "" } { print }' $(filter %.sql,$^); } > $@

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

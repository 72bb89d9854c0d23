# faxmail: the two commands a newcomer needs are `make demo` and `make test`.
# Both work as root on a fresh Debian 12 machine: they install Debian packages and npm modules first.

SHELL := /bin/bash
NODE ?= node

.PHONY: all deps deps-runtime build test lint format demo bench bench-smoke bench-sip linesim asterisk clean docs
.PHONY: install

all: build

# Debian packages and npm modules. deps-runtime: what production needs (Ghostscript, libtiff tools, a CJK
# font, tnef); deps: that plus the test tools (gcc, spandsp and libtiff headers, Postfix, poppler).
deps-runtime:
	bash scripts/install-deps.sh runtime
	@if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then \
		npm ci --no-audit --no-fund; fi

deps: deps-runtime
	bash scripts/install-deps.sh test

# The build itself needs only Node and the npm modules (TypeScript, esbuild): no compiler.
build: deps-runtime
	# A fresh dist/ each time: tsc never deletes the output of a source file that was removed or renamed.
	rm -rf dist
	npx tsc -p tsconfig.json
	node scripts/bundle.mjs
	node dist/tools/gen-man.js dist

# The fax line simulator (spandsp sender -> G.711 -> spandsp receiver).
linesim: deps
	$(MAKE) -C tools/linesim

# Asterisk 22.10.1 with res_fax_spandsp, built from source into /usr (Debian has no package); does nothing when
# it is installed. Without the source tarballs it prints one line saying how to provide them, and stops.
# The tests in test/asterisk/ (the bed), doctor's Asterisk checks and the demo run it.
asterisk: deps
	bash scripts/build-asterisk.sh

test: deps build linesim asterisk
	$(NODE) dist/test/helpers/run-all.js

# The formatter and linter (Biome, biome.json), warnings included, then the 120-column limit for what Biome
# leaves alone (strings, comments, shell). No writes; test/lint.test.ts runs this, so `make test` and CI fail
# on any finding.
BIOME := node_modules/.bin/biome
lint:
	$(BIOME) check --error-on-warnings .
	$(NODE) scripts/long-lines.mjs

# Rewrite the tree: format, and apply the lint fixes Biome calls safe.
format:
	$(BIOME) check --write .

demo: deps build linesim asterisk
	$(NODE) dist/tools/demo.js

bench: deps build linesim
	$(NODE) dist/bench/run.js

bench-smoke: deps build linesim
	$(NODE) dist/bench/run.js --smoke

# Fax over a lossy SIP trunk (two Asterisks in network namespaces, as root): success rate and line time for
# G.711 and T.38 at 0, 1 and 3 % packet loss, 10 faxes each (bench/sip-loss.ts; about 10 minutes).
bench-sip: deps build asterisk
	$(NODE) dist/bench/sip-loss.js

# Production install (as root): /opt/faxmail, sendfax and faxmail-notify in /usr/local/libexec/faxmail,
# faxmail in /usr/local/bin, every spool and log directory, the config if absent, man pages, completion,
# logrotate (README, Production install). Installs runtime packages only (no compiler, no MTA).
install: build
	bash scripts/install.sh

docs: build
	$(NODE) dist/tools/gen-docs.js

clean:
	rm -rf dist demo/out bench/out
	-$(MAKE) -C tools/linesim clean

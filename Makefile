# faxmail: the two commands a newcomer needs are `make demo` and `make test`.
# Both work as root on a fresh Debian 12 machine: they install Debian packages and npm modules first.

SHELL := /bin/bash
NODE ?= node

.PHONY: all deps build test demo bench bench-smoke linesim clean docs install

all: build

# Debian packages (Ghostscript, libtiff tools, spandsp, Postfix, poppler, fonts) and npm modules.
deps:
	bash scripts/install-deps.sh
	@if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then npm ci --no-audit --no-fund; fi

build: deps
	npx tsc -p tsconfig.json
	node scripts/bundle.mjs

# The fax line simulator (spandsp sender -> G.711 -> spandsp receiver).
linesim: deps
	$(MAKE) -C tools/linesim

test: build linesim
	$(NODE) dist/test/helpers/run-all.js

demo: build linesim
	$(NODE) dist/tools/demo.js

bench: build linesim
	$(NODE) dist/bench/run.js

bench-smoke: build linesim
	$(NODE) dist/bench/run.js --smoke

# Production install (as root): /opt/faxmail, wrappers in /usr/local/bin, spool, config if absent.
install: build
	bash scripts/install.sh

docs: build
	$(NODE) dist/tools/gen-docs.js

clean:
	rm -rf dist demo/out bench/out
	-$(MAKE) -C tools/linesim clean

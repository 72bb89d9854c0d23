# faxmail: the two commands a newcomer needs are `make demo` and `make test`.
# Both work as root on a fresh Debian 12 machine: they install Debian packages and npm modules first.

SHELL := /bin/bash
NODE ?= node

.PHONY: all deps build test demo bench bench-smoke linesim asterisk clean example-config install

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

# Asterisk 22.10.1 with res_fax_spandsp, built from source into /usr (Debian has no package); does nothing when
# it is installed. Without the source tarballs it prints one line saying how to provide them, and stops.
asterisk:
	bash scripts/build-asterisk.sh

test: build linesim asterisk
	$(NODE) dist/test/helpers/run-all.js

demo: build linesim asterisk
	$(NODE) dist/tools/demo.js

bench: build linesim
	$(NODE) dist/bench/run.js

bench-smoke: build linesim
	$(NODE) dist/bench/run.js --smoke

# Production install (as root): /opt/faxmail, sendfax and faxmail-notify in /usr/local/libexec/faxmail,
# faxmail in /usr/local/bin, every spool and log directory, the config if absent (README, Production install).
install: build
	bash scripts/install.sh

example-config: build
	$(NODE) dist/tools/gen-example-config.js > faxmail.example.toml

clean:
	rm -rf dist demo/out bench/out
	-$(MAKE) -C tools/linesim clean

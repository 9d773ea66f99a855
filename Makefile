# dvcid: the commands of api.md section 1. `make run` and `make test` work on a fresh
# Debian 12 machine as root: each first installs the missing packages (scripts/deps.sh).
#   make run [CONFIG=path.conf]   build (Release) and run the four services in the foreground
#   make test                     lint, Release and ASan+UBSan builds, every ctest test, and
#                                 every fuzz target under clang's libFuzzer for a few seconds
#   make deb                      the Debian package: build/deb/dvcid_<version>_<arch>.deb
#                                 (scripts/deb.sh; install it with apt install ./build/deb/dvcid_*.deb)
#   make build | asan | lint | format | bench | clean
CONFIG ?= deploy/dev.conf
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
# Integration and browser tests run two at a time, those that keep both cores busy alone
# (RUN_SERIAL in tests/CMakeLists.txt). Unit tests and the corpus replays run $(JOBS) at a time.
CTEST_JOBS ?= 2
RELEASE := build/release
ASAN := build/asan
# The clang tree of the libFuzzer targets (tests/fuzz/README.md), shared with `make fuzz`.
FUZZ := build/fuzz
# Seconds of libFuzzer per target in make test (two targets at a time on two cores).
FUZZ_TEST_SECONDS ?= 6
CMAKE ?= cmake
CTEST ?= ctest
# The builds of cmake are sub-makes; their directory chatter adds nothing.
MAKEFLAGS += --no-print-directory

# Sanitizer settings for everything ctest starts, the services of the integration tests
# included; set them in the environment to override.
export ASAN_OPTIONS ?= detect_leaks=1
export UBSAN_OPTIONS ?= print_stacktrace=1:halt_on_error=1

# Steps depend on each other's output (deps before builds, builds before lint); the builds
# themselves run in parallel inside cmake.
.NOTPARALLEL:
.PHONY: all help deps deps-test build build-release asan build-asan build-fuzz run test lint format \
	bench screenshots fuzz deb clean

all: build

help:
	@sed -n '1,8s/^# \{0,1\}//p' Makefile

deps:
	@scripts/deps.sh run

deps-test:
	@scripts/deps.sh test

build: deps build-release

build-release:
	$(CMAKE) -S . -B $(RELEASE) -DCMAKE_BUILD_TYPE=Release
	$(CMAKE) --build $(RELEASE) -j$(JOBS)

asan: deps build-asan

build-asan:
	$(CMAKE) -S . -B $(ASAN) -DCMAKE_BUILD_TYPE=Debug -DDVCID_SANITIZE=ON
	$(CMAKE) --build $(ASAN) -j$(JOBS)

# Only the fuzz targets: the clang tree's services and tests are not needed.
build-fuzz:
	CC=clang $(CMAKE) -S . -B $(FUZZ) -DCMAKE_BUILD_TYPE=Debug \
		-DDVCID_FUZZ_TEST_SECONDS=$(FUZZ_TEST_SECONDS)
	$(CMAKE) --build $(FUZZ) -j$(JOBS) --target fuzz_targets

run: deps build-release
	@exec scripts/run.sh "$(CONFIG)" $(RELEASE)

lint: deps-test build-release
	@scripts/lint.sh

format:
	@scripts/lint.sh --fix

# Every step runs even when an earlier one failed, so one run shows every problem; the
# exit status is 0 only if all passed. The ASan tree replays every fuzz corpus (GCC has
# no libFuzzer); then the clang tree fuzzes each target for FUZZ_TEST_SECONDS, and a
# crash prints its reproducer (tests/fuzz/fuzz_test.sh). The ASan ctest ends with its
# summary and why each skipped test could not run here (its "SKIPPED:" line). Between
# them the Release units boot under a real systemd where this machine lets one run
# (root, namespaces), else a SKIPPED: line says why.
test: deps-test
	@failed=; \
	if ! $(MAKE) --no-print-directory build-release; then failed="$$failed release-build"; \
	elif ! scripts/lint.sh; then failed="$$failed lint"; fi; \
	if ! $(MAKE) --no-print-directory build-asan; then failed="$$failed asan-build"; \
	else \
		[ -z "$$failed" ] || echo "make test: FAILED so far:$$failed; running the tests anyway"; \
		$(CTEST) --test-dir $(ASAN) --output-on-failure --no-tests=error -j$(JOBS) \
			-L '^(unit|fuzz)$$' || failed="$$failed ctest"; \
		$(CTEST) --test-dir $(ASAN) --output-on-failure --no-tests=error -j$(CTEST_JOBS) \
			-LE '^(unit|fuzz)$$' || failed="$$failed ctest"; \
		grep -h '^SKIPPED:' $(ASAN)/Testing/Temporary/LastTest.log 2>/dev/null || true; \
	fi; \
	if [ -x $(RELEASE)/gateway ]; then \
		if why=$$(deploy/check-under-systemd.sh --probe); then \
			echo "make test: the units under a real systemd (deploy/check-under-systemd.sh)"; \
			deploy/check-under-systemd.sh $(RELEASE) || failed="$$failed systemd"; \
		else echo "SKIPPED: deploy/check-under-systemd.sh: $$why"; fi; \
	fi; \
	if ! $(MAKE) --no-print-directory build-fuzz; then failed="$$failed fuzz-build"; \
	else \
		echo "make test: libFuzzer, $(FUZZ_TEST_SECONDS) s per target"; \
		$(CTEST) --test-dir $(FUZZ) -L '^fuzz$$' --output-on-failure --no-tests=error \
			-j$(JOBS) || failed="$$failed fuzz"; \
	fi; \
	case "$$failed" in \
	"") ;; \
	" ctest" | " ctest ctest") exit 1 ;; \
	*) echo "make test: FAILED:$$failed"; exit 1 ;; \
	esac

# Screenshots of every screen of the web page, desktop and 360 px, by the browser tests.
screenshots: deps-test build-release
	DVCID_BIN=$(CURDIR)/$(RELEASE) DVCID_SRC=$(CURDIR) DVCID_SCREENSHOTS=$(CURDIR)/docs/screenshots \
		tests/browser/run.sh

# Longer fuzzing (tests/fuzz/README.md): FUZZ_SECONDS per target with libFuzzer (clang).
FUZZ_SECONDS ?= 600
fuzz: deps-test
	@tests/fuzz/run.sh $(FUZZ_SECONDS)

# The benchmark (api.md section 6): never part of make test.
bench:
	@scripts/deps.sh bench
	@scripts/bench.sh

# The Debian package of debian/, built from scratch in a copy of the tree under build/deb.
deb:
	@scripts/deps.sh deb
	@scripts/deb.sh

clean:
	rm -rf build

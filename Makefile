# Sluice: `make run` and `make test` work on a fresh Debian 12 machine from a fresh clone.
SHELL := /bin/bash
SWIFT ?= swift
SWIFT_FLAGS ?=
# Debian packages for build (libs), tests and benchmarks (real clients and peers).
APT_BUILD := pkg-config libavcodec-dev libavformat-dev libavutil-dev libswscale-dev \
	libswresample-dev libopus-dev libsrt-gnutls-dev zlib1g-dev libssl-dev libsrtp2-dev
APT_TEST := ffmpeg srt-tools gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good \
	gstreamer1.0-plugins-bad gstreamer1.0-libav valgrind chromium chromium-driver python3-pip unzip curl nodejs nginx libnginx-mod-rtmp libnginx-mod-http-lua
APT_BENCH := nginx libnginx-mod-rtmp libnginx-mod-http-lua wrk hyperfine

.PHONY: all deps build release test run players bench fuzz soak tsan clean

all: build

# Idempotent and fast when everything is present: dpkg-query first, apt-get only for what is missing.
deps:
	@missing=$$(for p in $(APT_BUILD) $(APT_TEST) $(APT_EXTRA); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "make deps: installing $$missing"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi

build: deps
	$(SWIFT) build $(SWIFT_FLAGS)

release: deps
	$(SWIFT) build -c release $(SWIFT_FLAGS)

test: deps
	$(SWIFT) build --build-tests $(SWIFT_FLAGS)
	@# One test at a time: the interop tests run real encoders, players and browsers, and two
	@# cores shared by all of them would turn them into a test of the scheduler.
	$(SWIFT) test --skip-build --no-parallel $(SWIFT_FLAGS)
	@# The leak check reads the process's resident set, so it runs alone.
	SLUICE_LEAK_TEST=1 $(SWIFT) test --skip-build --filter LeakTests $(SWIFT_FLAGS)

run: release players
	$(SWIFT) run -c release --skip-build sluice serve

# The dashboard's hls.js (served at /dashboard/hls.mjs): hls.js 1.6.15 from the gradio wheel, as the
# player tests take it. Offline, the dashboard says it has no players and still shows its figures.
players:
	@[ -s .build/players/hls.js ] || python3 -c 'import importlib.util as u; s = u.spec_from_file_location("p", "Tools/players/hlsjs-play.py"); \
		m = u.module_from_spec(s); s.loader.exec_module(m); m.ensure_hlsjs(".build/players")' \
		|| echo "make run: could not fetch hls.js into .build/players; the dashboard will have no players"

bench: APT_EXTRA = $(APT_BENCH)
bench: deps release
	Benchmarks/run.sh

# Not part of `make test`: 300 s per libFuzzer target, one after another (six targets: 30 min).
# Findings land in Fuzz/artifacts/<target>/. FUZZ_SECONDS overrides the time per target.
fuzz: deps
	Fuzz/run.sh $${FUZZ_SECONDS:-300}

# Not part of `make test`: 30 minutes of mixed load; RSS and descriptors must stay flat.
# SOAK_SECONDS and SOAK_VIEWERS shorten or lighten it.
soak: deps release
	Benchmarks/soak/run.sh $${SOAK_SECONDS:-1800} $${SOAK_VIEWERS:-1000}

# Not part of `make test`: the suite under ThreadSanitizer (a separate build folder; several
# times slower). TSAN_FILTER narrows it to some suites.
tsan: deps
	SLUICE_TSAN=1 $(SWIFT) build --build-tests --sanitize=thread --scratch-path .build-tsan $(SWIFT_FLAGS)
	set -o pipefail; SLUICE_TSAN=1 TSAN_OPTIONS="halt_on_error=0 second_deadlock_stack=1" $(SWIFT) test --skip-build --no-parallel \
		--sanitize=thread --scratch-path .build-tsan $${TSAN_FILTER:+--filter "$$TSAN_FILTER"} $(SWIFT_FLAGS) 2>&1 | tee .build-tsan/tsan.log
	@! grep -q "WARNING: ThreadSanitizer" .build-tsan/tsan.log || { echo "make tsan: ThreadSanitizer reports above"; exit 1; }

clean:
	rm -rf .build .build-tsan Fuzz/.build

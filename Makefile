# Goflux.Testable — common tasks. `make test` is the test command (CI runs it through .ci/run).

SOLUTION      := Goflux.Testable.sln
CONFIGURATION ?= Release

.DEFAULT_GOAL := build
.PHONY: build test bench nats-up nats-down format format-check clean

## build: compile the solution
build:
	dotnet build $(SOLUTION) -c $(CONFIGURATION)

## test: provision nats-server 2.10 (and, as root, a Docker engine), run every test project, print a summary
test:
	bash scripts/test.sh

## demo: run the seed's three examples on the in-memory engine (NATS_URL set: on that server)
.PHONY: demo
demo:
	dotnet run --project samples/Demo -c Release

## bench-inmemory: quick in-memory run (end to end, Channel<T>, JetStream adapter when a server is available, virtual time, memory)
.PHONY: bench-inmemory
bench-inmemory:
	dotnet run --project bench/Goflux.InMemory.Benchmarks -c Release -- ratio

## bench: quick ratio run of the JetStream adapter against raw NATS.Net on a real server (under a minute)
bench:
	dotnet run -c Release --project bench/Goflux.Benchmarks -- ratio

## reliability: the reliability suite at full size (GOFLUX_RELIABILITY_SCALE=1, or set it lower): in-memory soak, SIGKILL/outage, 3-node cluster; prints the figures table
.PHONY: reliability
reliability:
	bash scripts/provision-nats.sh >/dev/null
	mkdir -p artifacts
	rm -f artifacts/reliability-figures.md
	GOFLUX_RELIABILITY_SCALE=$${GOFLUX_RELIABILITY_SCALE:-1} GOFLUX_RELIABILITY_REPORT=$(CURDIR)/artifacts/reliability-figures.md \
	GOFLUX_NATS_SERVER=$(CURDIR)/.tools/nats-server/nats-server \
	dotnet test tests/Reliability -c Release; status=$$?; echo; cat artifacts/reliability-figures.md 2>/dev/null; exit $$status

## fuzz: the differential test (in-memory engine against a real nats-server) over 10000 seeded programs
.PHONY: fuzz
fuzz:
	bash scripts/provision-nats.sh
	GOFLUX_FUZZ_PROGRAMS=10000 GOFLUX_NATS_SERVER=$(CURDIR)/.tools/nats-server/nats-server dotnet test tests/Contract -c Release --filter "FullyQualifiedName~Differential"

## stress: every engine test 1,000 times beside two busy threads per core (GOFLUX_STRESS_ROUNDS, GOFLUX_STRESS_MINUTES to bound it, GOFLUX_STRESS_ONLY="Name|Other" to repeat some cases)
.PHONY: stress
stress:
	GOFLUX_STRESS_ROUNDS=$${GOFLUX_STRESS_ROUNDS:-1000} dotnet test tests/Contract -c Release --filter "FullyQualifiedName~UnderContention"

## nats-up: start a local nats-server with JetStream on 127.0.0.1:4222 (NATS_PORT to change); use NATS_URL=nats://127.0.0.1:4222
nats-up:
	bash scripts/nats-local.sh up

## nats-down: stop the server started by nats-up and delete its store
nats-down:
	bash scripts/nats-local.sh down

## pack: build every src package with README and symbols (.snupkg) into artifacts/packages, and list each with its version and dependencies
.PHONY: pack
pack:
	bash scripts/pack.sh

## check-publish: publish the Shipping worker (samples/Worker) and check it carries no engine and no testing package
.PHONY: check-publish
check-publish:
	bash scripts/check-publish.sh

## check-packages: pack, then build and test the Shipping worker from the packages as a user's repository would, and check its published output
.PHONY: check-packages
check-packages:
	bash scripts/check-packages.sh

## format: apply the code style
format:
	dotnet format $(SOLUTION)

## format-check: fail when the code style is not applied
format-check:
	dotnet format $(SOLUTION) --verify-no-changes

## clean: remove build outputs (keeps the provisioned tools in .tools/)
clean:
	dotnet clean $(SOLUTION) -c $(CONFIGURATION) --nologo -v quiet
	rm -rf TestResults artifacts BenchmarkDotNet.Artifacts
	find . -path ./.tools -prune -o -type d \( -name bin -o -name obj \) -prune -exec rm -rf {} +

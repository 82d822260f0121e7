# The seed's ten monitoring targets. Each calls the stack runner monitoring/stack/cli.ts, which drives
# Docker Compose (docker/docker-compose.yml) where a Docker engine answers and Debian's native
# Prometheus, Alertmanager and exporters otherwise (files under .monitoring/).
# Options go in ARGS, e.g. `make monitoring-logs ARGS="prometheus --lines 100"` or
# `make monitoring-start ARGS="--mode native --prometheus-port 19090"`; `npx tsx monitoring/stack/cli.ts help`
# lists them.

MONITORING = npx --no-install tsx monitoring/stack/cli.ts

.PHONY: monitoring-start monitoring-stop monitoring-restart monitoring-status monitoring-logs \
	monitoring-test monitoring-validate monitoring-reload monitoring-backup monitoring-clean

monitoring-start:
	$(MONITORING) start $(ARGS)

monitoring-stop:
	$(MONITORING) stop $(ARGS)

monitoring-restart:
	$(MONITORING) restart $(ARGS)

monitoring-status:
	$(MONITORING) status $(ARGS)

monitoring-logs:
	$(MONITORING) logs $(ARGS)

# Every monitoring test: generated files fresh, promtool/amtool, PromQL consistency, the CLI, and the
# live test (pipeline + native stack, about 30 s).
monitoring-test:
	npx --no-install vitest run monitoring $(ARGS)

monitoring-validate:
	$(MONITORING) validate $(ARGS)

monitoring-reload:
	$(MONITORING) reload $(ARGS)

monitoring-backup:
	$(MONITORING) backup $(ARGS)

monitoring-clean:
	$(MONITORING) clean $(ARGS)

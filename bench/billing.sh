#!/usr/bin/env bash
# Billing's benchmark in one command: harvest throughput and usage-query latency, on SQLite + embedded Garnet by
# default. Pass --postgres "Host=…;Username=…;Database=postgres" and/or --redis host:port for the production column,
# and --accounts/--days/--active-hours/--consumers/--hours/--queries to change the sizes.
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet run --project bench/billing/DataPlatform.Billing.Bench.csproj -c Release -- "$@"

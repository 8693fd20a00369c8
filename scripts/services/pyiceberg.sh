# pyiceberg: one Python virtualenv with PyIceberg, pyarrow and DuckDB (readers for tests and
# benchmark baselines) and pyspark (the spark service runs from it). No process.
PYICEBERG_VERSION=0.12.0
PYARROW_VERSION=22.0.0
PYSPARK_VERSION=4.0.5
DUCKDB_VERSION=1.4.4
# DuckDB's iceberg, avro and httpfs extensions come as PyPI packages of the same version (its own
# extension server is not needed): floe_engines.py loads them from there.
PY_REQS="pyiceberg[pyarrow]==$PYICEBERG_VERSION pyarrow==$PYARROW_VERSION pyspark==$PYSPARK_VERSION duckdb==$DUCKDB_VERSION duckdb-extension-iceberg==$DUCKDB_VERSION duckdb-extension-avro==$DUCKDB_VERSION duckdb-extension-httpfs==$DUCKDB_VERSION"
pyiceberg_timeout=30

floe_venv() { echo "$FLOE_CACHE/py"; }
floe_python() { echo "$(floe_venv)/bin/python"; }

pyiceberg_installed() {
  [[ -x $(floe_python) ]] && [[ $(cat "$(floe_venv)/.reqs" 2>/dev/null) == "$PY_REQS" ]]
}

pyiceberg_install() {
  pyiceberg_installed && return 0
  log "pyiceberg: creating the Python environment (first run only; pyspark is large)"
  local py; py=$(command -v python3.11 || command -v python3) || die "pyiceberg: python3 is needed"
  "$py" -m venv "$(floe_venv)"
  # shellcheck disable=SC2086
  "$(floe_venv)/bin/pip" install -q --disable-pip-version-check $PY_REQS >&2
  echo "$PY_REQS" >"$(floe_venv)/.reqs"
}

pyiceberg_start() { :; }

pyiceberg_ready() {
  "$(floe_python)" -c 'import pyiceberg, pyarrow, pyspark, duckdb, duckdb_extension_iceberg' 2>/dev/null
}

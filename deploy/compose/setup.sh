#!/bin/bash
# One-shot setup of the secured compose stack, after Elastic's documented docker-compose pattern:
# make a CA and certificates (elasticsearch-certutil) into the shared certs volume, wait for
# Elasticsearch, then set kibana_system's password and create the project's least-privilege roles
# (deploy/compose/roles/*.json, the same descriptors as hybrid/es/security.py) and users.
# Runs in the Elasticsearch image; every secret comes from the environment (.env).
set -euo pipefail
: "${ELASTIC_PASSWORD:?set ELASTIC_PASSWORD in .env}" "${KIBANA_PASSWORD:?set KIBANA_PASSWORD}"
: "${HYBRID_INDEXER_PASSWORD:?}" "${HYBRID_SEARCHER_PASSWORD:?}" "${HYBRID_ADMIN_PASSWORD:?}"
certs=config/certs
if [ ! -f "$certs/ca.zip" ]; then
  bin/elasticsearch-certutil ca --silent --pem -out "$certs/ca.zip"
  unzip -o "$certs/ca.zip" -d "$certs"
fi
if [ ! -f "$certs/certs.zip" ]; then
  printf 'instances:\n  - name: elasticsearch\n    dns: [elasticsearch, localhost]\n    ip: [127.0.0.1]\n' \
    > "$certs/instances.yml"
  bin/elasticsearch-certutil cert --silent --pem -out "$certs/certs.zip" --in "$certs/instances.yml" \
    --ca-cert "$certs/ca/ca.crt" --ca-key "$certs/ca/ca.key"
  unzip -o "$certs/certs.zip" -d "$certs"
fi
chown -R root:root "$certs"; find "$certs" -type d -exec chmod 750 {} \; ; find "$certs" -type f -exec chmod 640 {} \;
es() { curl -s --fail-with-body --cacert "$certs/ca/ca.crt" -u "elastic:${ELASTIC_PASSWORD}" \
  -H 'Content-Type: application/json' "https://elasticsearch:9200$1" "${@:2}"; }
echo "waiting for Elasticsearch"
until es /_cluster/health >/dev/null 2>&1; do sleep 2; done
es /_security/user/kibana_system/_password -X POST -d "{\"password\":\"${KIBANA_PASSWORD}\"}"
for role in hybrid_indexer hybrid_searcher hybrid_admin; do
  es "/_security/role/$role" -X PUT --data-binary "@/roles/$role.json"
done
user() { es "/_security/user/$1" -X PUT -d "{\"password\":\"$2\",\"roles\":[\"$3\"]}"; }
user hybrid-indexer "$HYBRID_INDEXER_PASSWORD" hybrid_indexer
user hybrid-searcher "$HYBRID_SEARCHER_PASSWORD" hybrid_searcher
user hybrid-admin "$HYBRID_ADMIN_PASSWORD" hybrid_admin
echo "setup done"

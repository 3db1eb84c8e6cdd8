#!/bin/sh
# One-shot (temporalio/admin-tools image) once the server is healthy: the namespace and the
# custom search attributes the workflows upsert (workflows/search-attributes.ts; a test keeps
# this list in step). Idempotent: existing ones are left alone.
set -eu
ns=${TEMPORAL_NAMESPACE:-default}
temporal operator namespace describe --namespace "$ns" >/dev/null 2>&1 \
  || temporal operator namespace create --namespace "$ns" --retention 720h
for attr in OrderId=Keyword CustomerId=Keyword OrderStatus=Keyword PaymentStatus=Keyword \
            OrderTotal=Int PaymentReference=Keyword NeedsAttention=Keyword ReconciliationFindings=Int; do
  name=${attr%%=*}
  type=${attr#*=}
  temporal operator search-attribute create --namespace "$ns" --name "$name" --type "$type" >/dev/null 2>&1 \
    || echo "search attribute $name exists"
done
echo "namespace $ns ready"

// The auditors' routes of the HTTPS API (see docs/AUDIT.md), for principals
// with role auditor only: the alert history (GET /v1/alerts, /v1/alerts/{id}),
// the audit log (GET /v1/audit), its verification (GET /v1/audit/verify), the
// signed tree heads and the Merkle proofs (GET /v1/audit/tree-heads,
// /v1/audit/proof/inclusion, /v1/audit/proof/consistency). Every request
// states a justification and is itself written to the audit log.
#pragma once

#include "audit/history_query.hpp"
#include "auditors/http.hpp"
#include "store/audit_store.hpp"

#include <string>

namespace liaison::auditors {

// `signing_public_key` is the raw Ed25519 key of the tree heads (empty when
// the server signs none). `store` must outlive the router's use.
void add_audit_routes(http_router& router, store::audit_store& store,
                      const audit::query_limits& limits, std::string signing_public_key);

}  // namespace liaison::auditors

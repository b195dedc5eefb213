// The two database roles. An owner role owns the schema and runs the
// migrations (`liaisond migrate`); the runtime role liaisond serves with
// owns nothing and holds exactly the privileges below: INSERT and SELECT on
// the append-only tables, UPDATE only on the few rows that move (the log and
// audit heads, the tree and index state, consumer cursors), never DELETE,
// TRUNCATE or TRIGGER. So the server itself cannot rewrite what it wrote.
#pragma once

#include <string>
#include <vector>

namespace liaison::store {

// The tables the server only appends to.
const std::vector<std::string>& append_only_tables();

// The role the connection string `url` logs in as (connects to ask).
// Throws std::runtime_error naming the reason.
std::string role_of(const std::string& url);

// As the owner (`owner_url`): grants `runtime_role` exactly the privileges
// the server needs, and revokes any other it holds on the schema's tables.
// Idempotent. Throws std::runtime_error.
void grant_runtime_privileges(const std::string& owner_url, const std::string& runtime_role);

// As the runtime role (`url`): why it could change or remove what was
// written (it is a superuser, owns a table, or holds UPDATE, DELETE,
// TRUNCATE or TRIGGER where it should not), one sentence each; empty when
// it holds only what grant_runtime_privileges grants. Throws
// std::runtime_error when the database cannot be asked.
std::vector<std::string> runtime_role_problems(const std::string& url);

}  // namespace liaison::store

// The HTTP vocabulary of net/ that the auditors' routes speak: requests,
// replies, the router, and the bridge from a store callback to a coroutine.
#pragma once

#include "net/await_callback.hpp"
#include "net/http_reply.hpp"
#include "net/http_router.hpp"

namespace liaison::auditors {

using net::await_callback;
using net::error_reply;
using net::http_handler;
using net::http_reply;
using net::http_request;
using net::http_router;
using net::json_reply;
using net::request_context;

}  // namespace liaison::auditors

#include "client/https_stream.hpp"

#include "client/detail.hpp"

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

namespace liaison::client {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

constexpr std::size_t error_body_limit = 1 << 20;

}  // namespace

http_response https_get_streamed(const pki::identity& id, const std::string& server,
                                 const std::string& target,
                                 const std::function<void(std::string_view)>& on_data,
                                 std::chrono::milliseconds idle) {
  asio::io_context io;
  asio::ssl::context tls(asio::ssl::context::tls_client);
  detail::configure_tls(tls, id);
  asio::ssl::stream<tcp::socket> stream(io, tls);
  detail::open_tls(io, stream, server, idle);
  auto cancel = [&stream] {
    boost::system::error_code ignored;
    stream.next_layer().cancel(ignored);
  };
  http::request<http::empty_body> req{http::verb::get, target, 11};
  req.set(http::field::host, server);
  req.set(http::field::user_agent, "liaison-cli");
  auto [wec, n1] = detail::run_for(
      io, cancel, [&](auto handler) { http::async_write(stream, req, handler); }, idle);
  if (wec) throw client_error("cannot send the request: " + wec.message());

  beast::flat_buffer buffer;
  http::response_parser<http::buffer_body> parser;
  parser.body_limit(boost::none);
  auto [hec, n2] = detail::run_for(
      io, cancel, [&](auto handler) { http::async_read_header(stream, buffer, parser, handler); },
      idle);
  if (hec) throw client_error("no answer from " + server + ": " + hec.message());
  http_response out;
  out.status = parser.get().result_int();
  for (const auto& field : parser.get())
    out.headers.emplace(std::string(field.name_string()), std::string(field.value()));
  const bool ok = out.status >= 200 && out.status < 300;
  char piece[64 * 1024];
  while (!parser.is_done()) {
    parser.get().body().data = piece;
    parser.get().body().size = sizeof piece;
    auto [ec, n] = detail::run_for(
        io, cancel, [&](auto handler) { http::async_read(stream, buffer, parser, handler); }, idle);
    if (ec && ec != http::error::need_buffer)
      throw client_error("the answer from " + server + " was cut off: " + ec.message());
    const std::size_t got = sizeof piece - parser.get().body().size;
    if (ok) {
      on_data(std::string_view(piece, got));
    } else if (out.body.size() < error_body_limit) {
      out.body.append(piece, std::min(got, error_body_limit - out.body.size()));
    }
  }
  boost::system::error_code ignored;
  stream.next_layer().close(ignored);
  return out;
}

}  // namespace liaison::client

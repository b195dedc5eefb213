// "HOST:PORT" as the liaisond fixture reports it, as an Asio endpoint.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <string>

namespace liaison::testing {

inline boost::asio::ip::tcp::endpoint endpoint_of(const std::string& address) {
  auto colon = address.rfind(':');
  return {boost::asio::ip::make_address(address.substr(0, colon)),
          static_cast<unsigned short>(std::stoi(address.substr(colon + 1)))};
}

}  // namespace liaison::testing

#include "alert_world.hpp"

namespace liaison::fuzz {
namespace {

alert_world make_world() {
  auto at_key = crypto::ed25519_private_key::generate();
  auto hu_key = crypto::ed25519_private_key::generate();
  core::registry_data d;
  for (const char* code : {"AT", "DE", "HU", "RS", "AL"}) d.members.push_back({code, code});
  d.groups.push_back({"WB6", {"RS", "AL"}});
  d.groups.push_back({"EU", {"AT", "DE", "HU"}});
  d.principals.push_back({"AT.desk", "AT", core::role::desk, core::tlp::red});
  d.keys.push_back({"AT-1", "AT", at_key.public_key(), false});
  d.keys.push_back({"AT-0", "AT", at_key.public_key(), true});
  d.keys.push_back({"HU-1", "HU", hu_key.public_key(), false});
  core::registry registry(std::move(d));
  auto desk = *registry.find_principal("AT.desk");
  return alert_world{std::move(at_key), std::move(registry), std::move(desk)};
}

}  // namespace

const alert_world& world() {
  static const alert_world w = make_world();
  return w;
}

}  // namespace liaison::fuzz

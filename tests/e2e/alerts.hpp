// Alerts for end-to-end tests: valid by default, signed with a desk's key.
#pragma once

#include "client/alert_builder.hpp"
#include "client/native_client.hpp"
#include "liaison/v1/alert.pb.h"
#include "pki/identity.hpp"

#include <string>
#include <vector>

namespace liaison::testing {

inline liaison::v1::Alert make_alert(const std::string& origin, std::vector<std::string> recipients,
                                     const std::string& subject) {
  liaison::v1::Alert a;
  a.set_id(client::new_uuid());
  a.set_origin(origin);
  for (auto& r : recipients) a.add_recipients(r);
  a.set_kind(liaison::v1::KIND_INFORMATION);
  a.set_category(liaison::v1::CATEGORY_VEHICLE);
  a.set_priority(liaison::v1::PRIORITY_URGENT);
  a.set_tlp(liaison::v1::TLP_AMBER);
  a.set_restriction(liaison::v1::RESTRICTION_H1);
  a.mutable_evaluation()->set_source(liaison::v1::SOURCE_RELIABILITY_B);
  a.mutable_evaluation()->set_information(liaison::v1::INFORMATION_RELIABILITY_2);
  a.set_subject(subject);
  a.set_body("Seen heading east at the border crossing.");
  a.set_language("en");
  auto* e = a.add_entities();
  e->set_type(liaison::v1::ENTITY_TYPE_VEHICLE_PLATE);
  e->set_value("W-12345X");
  client::set_created_now(a);
  return a;
}

// Signed with the signing key of the desk identity `id`.
inline liaison::v1::Envelope sign_as(const pki::identity& id, const liaison::v1::Alert& alert) {
  auto key = crypto::ed25519_private_key::load_pem_file(id.signing_key_file);
  return client::sign_alert(alert, key, id.key_id);
}

}  // namespace liaison::testing

// The seed corpora of the fuzz targets, built in memory by make_corpus.cpp.
// Deterministic: the same sources always give the same bytes.
#pragma once

#include <filesystem>
#include <map>
#include <string>

namespace liaison::fuzz {

// Seeds of one target: file name (without the "seed-" prefix) to contents.
using seeds = std::map<std::string, std::string>;

// Native streams: 2 bytes maximum frame size, 1 byte cut seed, then frames.
seeds frame_reader_seeds();
// Frame bodies of every client request, refused bodies, broken bytes.
seeds request_binary_seeds();
// The same Frames in protobuf's JSON mapping, and malformed JSON.
seeds request_json_seeds();
// Alert payloads: valid ones of every kind and one per refusal reason.
seeds alert_seeds();
// liaison.toml: the repository's file under `source`, variants, broken files.
seeds server_config_seeds(const std::filesystem::path& source);
// members.toml: the repository's file under `source`, variants, broken files.
seeds members_config_seeds(const std::filesystem::path& source);
// HOST:PORT forms, accepted and refused.
seeds host_port_seeds();
// HTTP request targets of the auditors' API, /healthz, /metrics, /v1/stream.
seeds http_target_seeds();
// Bodies of POST /v1/alerts: signed envelopes in JSON.
seeds envelope_json_seeds();

}  // namespace liaison::fuzz

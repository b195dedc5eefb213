"""The wire contract, proto/liaison/v1/*.proto, as protobuf classes:
alert_pb2 (Alert, Envelope, the enums) and frame_pb2 (Frame and its bodies).

setup.py generates both modules with protoc when the package is built; they
are not kept in the repository."""

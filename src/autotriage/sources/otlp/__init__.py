"""OpenTelemetry: OTLP/HTTP log and trace exports, JSON or protobuf (`export`)."""

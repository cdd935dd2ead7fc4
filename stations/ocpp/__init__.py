"""The OCPP central system: a Channels consumer per station socket, handlers on the `ocpp` library."""

"""MQTT (energydata.dk section 3): the embedded broker, and later the external-broker mode."""

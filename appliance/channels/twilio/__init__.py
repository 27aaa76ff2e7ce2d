"""Phone calls through Twilio: webhooks, Media Streams, the REST API."""

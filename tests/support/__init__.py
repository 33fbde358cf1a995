"""Test fixtures as plain modules: a real mosquitto broker, throwaway TLS certificates, pty pairs."""

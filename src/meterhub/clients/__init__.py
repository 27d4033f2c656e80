"""Clients of meterhub's APIs, for users' scripts and the CLI."""

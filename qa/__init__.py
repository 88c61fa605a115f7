"""Casefile answering: retrieve, select evidence, generate, attribute, verify."""

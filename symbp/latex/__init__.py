"""Readers of a Derivation: the notation-aware printer, writeups and the network picture."""

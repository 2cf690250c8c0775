"""The only package that touches key material.

Key hierarchy and threat model: docs/security.md.
"""

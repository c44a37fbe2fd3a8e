"""Tests of the store backends beyond their Protocol contracts."""

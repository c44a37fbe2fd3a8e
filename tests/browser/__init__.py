"""End-to-end tests of the built-in UI and ``authgate.js`` in a real Chromium."""

"""Carriers that place outbound calls: Exotel's REST API and the offline simulator."""

"""Process leases and call ownership: each `voiceai serve` process holds a lease and owns its live calls;
when a lease lapses, any live instance ends the calls it held (docs/scaling.md)."""

"""The outbound campaign dialer: launch and stop (service), dial jobs as rows, and the scheduler."""
